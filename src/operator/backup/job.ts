/**
 * The Jobs of Backups and Restores, in their namespace: `hostplane backup run|restore|verify` of
 * the hostplane image under Pod Security `restricted`, with the customer's repository Secret, a
 * Database's own Secret and a Webspace's volume (read-only for a backup) mounted, and no
 * ServiceAccount token (it needs no API access). A drill restores into a scratch directory of its
 * own. The one-line answer becomes the container's termination message. Pure.
 */
import type { Manifest } from '../../kube/object.js'
import { CUSTOMER_LABEL, MANAGED_BY } from '../customer/names.js'
import { WEBSPACE_LABEL } from '../../api/webspace.js'
import { CONTAINER } from './job-run.js'
import {
  BACKUP_COMPONENT,
  BACKUP_LABEL,
  backupJobName,
  BACKUPS,
  repositorySecretName,
  RESTORE_LABEL,
  restoreJobName,
  RESTORES,
} from './owned.js'

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

export interface RestoreJobInput {
  readonly restore: { readonly name: string; readonly namespace: string; readonly uid: string }
  readonly customer: string
  readonly target: string
  /** The restore point: the Backup's name. */
  readonly point: string
  /** The Webspace to restore the files into (its volume's contents are replaced). */
  readonly webspace?: { readonly name: string; readonly claim: string }
  /** Only this path of the volume. */
  readonly path?: string
  /** The connection Secret of the Database to restore into (or a drill's scratch Database). */
  readonly databaseSecret?: string
  /** The restore point of what is there now (the Backup `<restore>-before`), when it holds something. */
  readonly before?: string
  /** A drill: restore the files (when `files`) into a scratch directory and compare. */
  readonly verify?: { readonly files: boolean }
}

const SECRETS_DIR = '/var/run/hostplane'
const VOLUME_DIR = '/data'
const SCRATCH_DIR = '/scratch'
/** The largest volume a tier offers: a drill's files are restored on the node's disk. */
const SCRATCH_SIZE = '100Gi'
/** The Pod's user: the webspaces' (their files are readable by it). */
const USER = 101

const commonArgs = (command: string, point: string) => [
  'backup',
  command,
  `--repository=${SECRETS_DIR}/repository`,
  `--point=${point}`,
  '--cache-dir=/tmp/restic-cache',
  '--answer-file=/dev/termination-log',
]

export function renderBackupJob(input: BackupJobInput, settings: BackupJobSettings): Manifest {
  const { backup, webspace, databaseSecret } = input
  return renderJob(
    {
      owner: { ...BACKUPS, ...backup },
      name: backupJobName(backup.name),
      customer: input.customer,
      target: input.target,
      label: [BACKUP_LABEL, backup.name],
      args: [
        ...commonArgs('run', backup.name),
        `--group=${input.group}`,
        ...(webspace ? [`--volume=${VOLUME_DIR}`] : []),
        ...(databaseSecret ? [`--database=${SECRETS_DIR}/database`] : []),
        ...retentionArgs(input.retention),
      ],
      ...(webspace ? { volume: { ...webspace, readOnly: true } } : {}),
      databaseSecret,
    },
    settings,
  )
}

export function renderRestoreJob(input: RestoreJobInput, settings: BackupJobSettings): Manifest {
  const { restore, webspace, databaseSecret, verify } = input
  const database = databaseSecret ? [`--database=${SECRETS_DIR}/database`] : []
  const args = verify
    ? [
        ...commonArgs('verify', input.point),
        ...(verify.files ? [`--volume=${SCRATCH_DIR}/files`] : []),
        ...database,
      ]
    : [
        ...commonArgs('restore', input.point),
        '--replace',
        ...(webspace ? [`--volume=${VOLUME_DIR}`] : []),
        ...(input.path ? [`--path=${input.path}`] : []),
        ...database,
        ...(input.before ? [`--before=${input.before}`] : []),
      ]
  return renderJob(
    {
      owner: { ...RESTORES, ...restore },
      name: restoreJobName(restore.name),
      customer: input.customer,
      target: input.target,
      label: [RESTORE_LABEL, restore.name],
      args,
      ...(webspace ? { volume: { ...webspace, readOnly: false } } : {}),
      databaseSecret,
      scratch: verify?.files === true,
    },
    settings,
  )
}

interface JobInput {
  readonly owner: {
    readonly apiVersion: string
    readonly kind: string
    readonly name: string
    readonly namespace: string
    readonly uid: string
  }
  readonly name: string
  readonly customer: string
  readonly target: string
  /** Which Backup or Restore the Job and its Pod belong to. */
  readonly label: readonly [string, string]
  readonly args: readonly string[]
  readonly volume?: { readonly name: string; readonly claim: string; readonly readOnly: boolean }
  readonly databaseSecret?: string
  /** A directory for a drill's restored files, as large as a volume may be. */
  readonly scratch?: boolean
}

function renderJob(input: JobInput, settings: BackupJobSettings): Manifest {
  const { owner, name, volume: webspace, databaseSecret, args } = input
  const labels = {
    ...MANAGED_BY,
    ...BACKUP_COMPONENT,
    [CUSTOMER_LABEL]: input.customer,
    [input.label[0]]: input.label[1],
  }
  const secretVolume = (volume: string, secretName: string) => ({
    name: volume,
    secret: { secretName, defaultMode: 0o400 },
  })
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: owner.namespace,
      labels,
      ownerReferences: [
        {
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          name: owner.name,
          uid: owner.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      // restic resumes from what the first attempt uploaded; a second failure is the answer.
      backoffLimit: 1,
      activeDeadlineSeconds: settings.deadlineSeconds ?? 6 * 3600,
      // The Backup or Restore keeps the answer; the finished Job and its Pod need not stay.
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
                ...(webspace ? [{ name: 'data', mountPath: VOLUME_DIR, readOnly: webspace.readOnly }] : []),
                ...(input.scratch ? [{ name: 'scratch', mountPath: SCRATCH_DIR }] : []),
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '2Gi' } },
            secretVolume('repository', repositorySecretName(input.target)),
            ...(databaseSecret ? [secretVolume('database', databaseSecret)] : []),
            ...(webspace
              ? [
                  {
                    name: 'data',
                    persistentVolumeClaim: { claimName: webspace.claim, readOnly: webspace.readOnly },
                  },
                ]
              : []),
            ...(input.scratch ? [{ name: 'scratch', emptyDir: { sizeLimit: SCRATCH_SIZE } }] : []),
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
