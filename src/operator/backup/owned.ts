/**
 * The kinds of the backup controllers and the names of what they write. In the system namespace,
 * per BackupTarget: its repository proxy (../backup-target/render-proxy.ts), the SHA-256 of each customer's
 * proxy token (`backup-tokens-<target>`, mounted by the proxy) and each customer's repository
 * password (`backup-keys-<target>`, the operator's copy: a repository outlives its namespace). In
 * a customer namespace: the repository Secret its backup Jobs mount (`hostplane-backup-<target>`),
 * and one Job per Backup (`backup-<name>`), owned by the Backup.
 */
import { API_VERSION } from '../../api/kind.js'
import type { KubeObject } from '../../kube/object.js'
import {
  BACKUP_CLIENT_LABELS,
  BACKUP_PROXY_PORT,
  BACKUP_TARGET_LABEL,
  backupProxyName,
} from '../backup-target/render-proxy.js'

export const BACKUPS = { apiVersion: API_VERSION, kind: 'Backup', plural: 'backups' } as const
export const BACKUP_SCHEDULES = {
  apiVersion: API_VERSION,
  kind: 'BackupSchedule',
  plural: 'backupschedules',
} as const
export const BACKUP_TARGETS = {
  apiVersion: API_VERSION,
  kind: 'BackupTarget',
  plural: 'backuptargets',
} as const
export const JOBS = { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' } as const
export const PODS = { apiVersion: 'v1', kind: 'Pod', plural: 'pods' } as const
export const SECRETS = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' } as const

/** The component label of backup Pods: the repository proxy admits connections only from them. */
export const BACKUP_COMPONENT = BACKUP_CLIENT_LABELS
/** Which Backup a Job and its Pod belong to. */
export const BACKUP_LABEL = 'hostplane.dev/backup'
/** Which BackupTarget a system-namespace object serves. */
export const TARGET_LABEL = BACKUP_TARGET_LABEL

export const SECRET_TYPE = {
  /** In a customer namespace: `repository` (the proxy URL with the customer's token) and `password`. */
  repository: 'hostplane.dev/backup-repository',
  /** In the system namespace: customer → SHA-256 of its proxy token. */
  tokens: 'hostplane.dev/backup-tokens',
  /** In the system namespace: customer → its repository password. */
  keys: 'hostplane.dev/backup-keys',
} as const

export const backupJobName = (backup: string) => `backup-${backup}`
export const repositorySecretName = (target: string) => `hostplane-backup-${target}`
export const tokensSecretName = (target: string) => `backup-tokens-${target}`
export const keysSecretName = (target: string) => `backup-keys-${target}`

/** The proxy as a backup Job in any namespace reaches it. */
export const proxyUrl = (target: string, systemNamespace: string) =>
  `http://${backupProxyName(target)}.${systemNamespace}.svc:${BACKUP_PROXY_PORT}`

/** The `namespace/name` key of the Backup a Job or Pod belongs to. */
export const backupOf = (object: KubeObject): string | undefined => {
  const { namespace, labels } = object.metadata
  const backup = labels?.[BACKUP_LABEL]
  return namespace && backup ? `${namespace}/${backup}` : undefined
}
