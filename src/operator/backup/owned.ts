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
export const RESTORES = { apiVersion: API_VERSION, kind: 'Restore', plural: 'restores' } as const
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
/** Which Restore a Job and its Pod belong to. */
export const RESTORE_LABEL = 'hostplane.dev/restore'
/** Which Restore a drill's scratch Database serves. */
export const SCRATCH_LABEL = 'hostplane.dev/restore-drill'
/** On a Webspace or Database a BackupSchedule backs up: deleting it takes a final backup first. */
export const FINAL_BACKUP = 'hostplane.dev/final-backup'
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
export const restoreJobName = (restore: string) => `restore-${restore}`
/** The Backup a Restore takes of what it replaces. */
export const beforeBackupName = (restore: string) => `${restore}-before`
/** A drill's scratch Database: unique per Restore, within a Database name's 40 characters. */
export const scratchDatabaseName = (restoreUid: string) =>
  `drill-${restoreUid.replaceAll('-', '').slice(0, 12)}`
export const repositorySecretName = (target: string) => `hostplane-backup-${target}`
export const tokensSecretName = (target: string) => `backup-tokens-${target}`
export const keysSecretName = (target: string) => `backup-keys-${target}`

/** The proxy as a backup Job in any namespace reaches it. */
export const proxyUrl = (target: string, systemNamespace: string) =>
  `http://${backupProxyName(target)}.${systemNamespace}.svc:${BACKUP_PROXY_PORT}`

/** The key of the Backup (`namespace/name`) or Restore (`restore:namespace/name`) a Job or Pod belongs to. */
export const runOf = (object: KubeObject): string | undefined => {
  const { namespace, labels } = object.metadata
  const backup = labels?.[BACKUP_LABEL]
  const restore = labels?.[RESTORE_LABEL]
  if (!namespace) return undefined
  if (backup) return `${namespace}/${backup}`
  return restore ? restoreKey(`${namespace}/${restore}`) : undefined
}

/** Restores share the backup controller's queue, their keys marked. */
const RESTORE_KEY = 'restore:'
export const restoreKey = (key: string) => `${RESTORE_KEY}${key}`
/** The `namespace/name` of a Restore's queue key, undefined for a Backup's. */
export const restoreOfKey = (key: string) =>
  key.startsWith(RESTORE_KEY) ? key.slice(RESTORE_KEY.length) : undefined
