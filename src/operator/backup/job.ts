/**
 * The Job that takes one Backup, in the Backup's namespace: `hostplane backup run` of the
 * hostplane image under Pod Security `restricted`, with the customer's repository Secret, the
 * Database's own Secret and the Webspace's volume (read-only) mounted, and no ServiceAccount
 * token (it needs no API access). Its one-line answer becomes the container's termination
 * message. Pure.
 */
import type { Manifest } from '../../kube/object.js'
import { CUSTOMER_LABEL, MANAGED_BY } from '../customer/names.js'
import { WEBSPACE_LABEL } from '../../api/webspace.js'
import { BACKUP_COMPONENT, BACKUP_LABEL, backupJobName, BACKUPS, repositorySecretName } from './owned.js'

export interface BackupJobSettings {
  /** The hostplane image (by digest) whose `hostplane backup` the Job runs. */
  readonly image: string
  /** How long one attempt may run before the Job fails. @default 6 hours */
  readonly deadlineSeconds?: number
}

export interface BackupJobInput {
  readonly backup: { readonly name: string; readonly namespace: string; readonly uid: string }
  readonly customer: string
  readonly target: string
  /** Restic tag grouping restore points for retention: the BackupSchedule's name, or `manual`. */
  readonly group: string
  /** The Webspace whose volume is backed up: its claim, and its Pods (the Job runs beside them). */
  readonly webspace?: { readonly name: string; readonly claim: string }
  /** The Database's connection Secret. */
  readonly databaseSecret?: string
  /** Its BackupSchedule's retention, applied in the group after the backup. */
  readonly retention?: {
    readonly last?: number
    readonly daily?: number
    readonly weekly?: number
    readonly monthly?: number
    readonly timeZone: string
  }
}

export const CONTAINER = 'backup'
const SECRETS_DIR = '/var/run/hostplane'
const VOLUME_DIR = '/data'
/** The Pod's user: the webspaces' (their files are readable by it). */
const USER = 101

export function renderBackupJob(input: BackupJobInput, settings: BackupJobSettings): Manifest {
  const { backup, webspace, databaseSecret } = input
  const name = backupJobName(backup.name)
  const labels = {
    ...MANAGED_BY,
    ...BACKUP_COMPONENT,
    [CUSTOMER_LABEL]: input.customer,
    [BACKUP_LABEL]: backup.name,
  }
  const args = [
    'backup',
    'run',
    `--repository=${SECRETS_DIR}/repository`,
    `--point=${backup.name}`,
    `--group=${input.group}`,
    '--cache-dir=/tmp/restic-cache',
    '--answer-file=/dev/termination-log',
    ...(webspace ? [`--volume=${VOLUME_DIR}`] : []),
    ...(databaseSecret ? [`--database=${SECRETS_DIR}/database`] : []),
    ...retentionArgs(input.retention),
  ]
  const secretVolume = (volume: string, secretName: string) => ({
    name: volume,
    secret: { secretName, defaultMode: 0o400 },
  })
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: backup.namespace,
      labels,
      ownerReferences: [
        {
          apiVersion: BACKUPS.apiVersion,
          kind: BACKUPS.kind,
          name: backup.name,
          uid: backup.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      // restic resumes from what the first attempt uploaded; a second failure is the answer.
      backoffLimit: 1,
      activeDeadlineSeconds: settings.deadlineSeconds ?? 6 * 3600,
      // The Backup keeps the answer; the finished Job and its Pod need not stay.
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: USER,
            runAsGroup: USER,
            fsGroup: USER,
            // A large volume is not walked to change its group on every backup.
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          // A ReadWriteOnce volume mounts only on the node that already has it: beside the app.
          ...(webspace
            ? {
                affinity: {
                  podAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                      {
                        weight: 100,
                        podAffinityTerm: {
                          labelSelector: { matchLabels: { [WEBSPACE_LABEL]: webspace.name } },
                          topologyKey: 'kubernetes.io/hostname',
                        },
                      },
                    ],
                  },
                },
              }
            : {}),
          containers: [
            {
              name: CONTAINER,
              image: settings.image,
              args,
              env: [{ name: 'HOME', value: '/tmp' }],
              // The answer is written to the termination log; a failure's is the log's tail.
              terminationMessagePolicy: 'FallbackToLogsOnError',
              // Within every tier's LimitRange (the shared tier's largest size) and beside a running
              // small webspace in its quota: a backup counts against the customer's resources.
              resources: {
                requests: { cpu: '50m', memory: '64Mi' },
                limits: { cpu: '500m', memory: '512Mi' },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'repository', mountPath: `${SECRETS_DIR}/repository`, readOnly: true },
                ...(databaseSecret
                  ? [{ name: 'database', mountPath: `${SECRETS_DIR}/database`, readOnly: true }]
                  : []),
                ...(webspace ? [{ name: 'data', mountPath: VOLUME_DIR, readOnly: true }] : []),
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '2Gi' } },
            secretVolume('repository', repositorySecretName(input.target)),
            ...(databaseSecret ? [secretVolume('database', databaseSecret)] : []),
            ...(webspace
              ? [{ name: 'data', persistentVolumeClaim: { claimName: webspace.claim, readOnly: true } }]
              : []),
          ],
        },
      },
    },
  }
}

function retentionArgs(retention: BackupJobInput['retention']): string[] {
  if (!retention) return []
  const rules = (['last', 'daily', 'weekly', 'monthly'] as const).flatMap((rule) =>
    retention[rule] === undefined ? [] : [`--keep-${rule}=${retention[rule]}`],
  )
  return rules.length > 0 ? [...rules, `--time-zone=${retention.timeZone}`, '--prune'] : []
}
