/**
 * Backups (issue 18, seed 003). `BackupTarget` (cluster-scoped, admin): an S3-compatible bucket
 * holding one encrypted, deduplicated restic repository per customer, reached by tenants' Jobs
 * only through the target's repository proxy, never with the bucket's credentials. `Backup`
 * (namespaced, tenant): one restore point of a Webspace's volume, a Database, or both, taken by a
 * Job in the tenant's namespace running `hostplane backup run`.
 */
import { type Static, Type } from '@sinclair/typebox'
import { commonStatus, conditionColumn } from './conditions.js'
import { CRON_PATTERN } from '../backup/cron.js'
import type { KindDefinition } from './kind.js'
import { celMatches, celRules, DNS_LABEL, ObjectName, StringEnum } from './schema-kit.js'

/**
 * Longest Backup name: it is the restore point's id and names its Job `backup-<name>`, whose
 * `job-name` label the Job controller puts on the Pod (a label value: 63 characters).
 */
export const MAX_BACKUP_NAME = 56

const immutable = (what: string) => ({ rule: 'self == oldSelf', message: `${what} cannot be changed` })

export const BackupTargetSpec = Type.Object({
  s3: Type.Object(
    {
      endpoint: Type.String({
        maxLength: 512,
        description: 'The S3 API endpoint, e.g. https://s3.eu-central-1.amazonaws.com.',
        ...celRules({
          rule: celMatches('self', '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$'),
          message: 's3.endpoint must be an http(s) URL of a host (and port), without a path',
        }),
      }),
      bucket: Type.String({
        minLength: 3,
        maxLength: 63,
        ...celRules({
          rule: celMatches('self', '^[a-z0-9][a-z0-9.-]*[a-z0-9]$'),
          message: "s3.bucket must be a bucket name (lower-case letters, digits, '.' and '-')",
        }),
      }),
      region: Type.String({ minLength: 1, maxLength: 64, default: 'us-east-1' }),
      prefix: Type.String({
        maxLength: 256,
        default: 'hostplane/',
        description: 'Where the repositories live in the bucket: <prefix><customer>/.',
        ...celRules({
          rule: celMatches('self', '^([A-Za-z0-9._-]+/)*$'),
          message: "s3.prefix must be empty or path segments each ending with '/', e.g. hostplane/",
        }),
      }),
    },
    { description: 'The bucket.' },
  ),
  credentialsSecretRef: Type.Object(
    { name: ObjectName('credentialsSecretRef.name') },
    {
      description:
        "A Secret in hostplane's system namespace with `access-key-id` and `secret-access-key` for the bucket: only the target's repository proxy mounts it.",
    },
  ),
  default: Type.Optional(Type.Boolean({ description: 'Where Backups without spec.target go.' })),
})

export const BackupTargetStatus = Type.Object({
  ...commonStatus,
  proxy: Type.Optional(
    Type.String({ maxLength: 512, description: "The repository proxy's URL, as backup Jobs reach it." }),
  ),
  customers: Type.Optional(Type.Integer({ minimum: 0, description: 'Customers with a repository here.' })),
})

export const BackupSpec = Type.Object(
  {
    target: Type.Optional(
      ObjectName('target', {
        description: 'A BackupTarget; without it, the default one.',
        ...celRules(immutable('target')),
      }),
    ),
    webspace: Type.Optional(
      ObjectName('webspace', {
        description: 'A Webspace of this namespace whose volume (spec.storage) to back up.',
        ...celRules(immutable('webspace')),
      }),
    ),
    database: Type.Optional(
      ObjectName('database', {
        description: 'A Database of this namespace to dump (consistently) into the same restore point.',
        ...celRules(immutable('database')),
      }),
    ),
  },
  {
    ...celRules(
      { rule: 'has(self.webspace) || has(self.database)', message: 'name a webspace, a database or both' },
      { rule: 'has(self.webspace) == has(oldSelf.webspace)', message: 'webspace cannot be added or removed' },
      { rule: 'has(self.database) == has(oldSelf.database)', message: 'database cannot be added or removed' },
      { rule: 'has(self.target) == has(oldSelf.target)', message: 'target cannot be added or removed' },
    ),
  },
)

/**
 * Longest Restore name: it names its Job `restore-<name>` and the Backup of what it replaces,
 * `<name>-before` (MAX_BACKUP_NAME).
 */
export const MAX_RESTORE_NAME = MAX_BACKUP_NAME - 7

/**
 * Longest BackupSchedule name: its Backups and its drills' Restores are named
 * `<schedule>-<yyyymmddhhmm>` (MAX_RESTORE_NAME).
 */
export const MAX_SCHEDULE_NAME = MAX_RESTORE_NAME - 13

const Count = (description: string, defaultValue?: number) =>
  Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1000,
      description,
      ...(defaultValue ? { default: defaultValue } : {}),
    }),
  )

export const BackupScheduleSpec = Type.Object(
  {
    target: Type.Optional(
      ObjectName('target', { description: 'A BackupTarget; without it, the default one.' }),
    ),
    webspace: Type.Optional(
      ObjectName('webspace', { description: 'A Webspace of this namespace whose volume to back up.' }),
    ),
    database: Type.Optional(
      ObjectName('database', {
        description: 'A Database of this namespace to dump into the same restore points.',
      }),
    ),
    schedule: Type.String({
      maxLength: 128,
      description: 'When, in cron syntax as a Kubernetes CronJob takes it, e.g. `0 3 * * *` or `@daily`.',
      ...celRules({
        rule: celMatches('self', CRON_PATTERN),
        message:
          'schedule must be 5 cron fields (minute hour day-of-month month day-of-week) or a macro such as @daily',
      }),
    }),
    timeZone: Type.String({
      maxLength: 64,
      default: 'UTC',
      description: 'The IANA time zone the schedule and the retention days are read in, e.g. Europe/Berlin.',
      ...celRules({
        rule: celMatches('self', '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$'),
        message: 'timeZone must be an IANA time zone name such as Europe/Berlin or UTC',
      }),
    }),
    startingDeadlineSeconds: Type.Integer({
      minimum: 60,
      maximum: 86400,
      default: 3600,
      description: 'A run more than this late (the operator was down) does not start, and counts as missed.',
    }),
    retention: Type.Object(
      {
        last: Count('Keep the n newest restore points.'),
        daily: Count('Keep the newest point of each of the n latest days with points.', 7),
        weekly: Count('The same for ISO weeks.', 4),
        monthly: Count('The same for months.', 6),
      },
      {
        default: {},
        description:
          "Which of the schedule's restore points stay; the others are forgotten after each backup.",
      },
    ),
    suspend: Type.Boolean({
      default: false,
      description: 'No new backups while true; runs missed meanwhile are not counted.',
    }),
    finalBackup: Type.Boolean({
      default: true,
      description:
        'Deleting the Webspace or Database takes one more Backup first (<schedule>-final-<time>); the delete completes when it finished.',
    }),
    drill: Type.Object(
      {
        schedule: Type.String({
          maxLength: 128,
          default: '@weekly',
          description:
            'When the newest successful Backup is restored into a throwaway place and compared with the checksums recorded when it was taken (cron, in spec.timeZone).',
          ...celRules({
            rule: celMatches('self', CRON_PATTERN),
            message:
              'drill.schedule must be 5 cron fields (minute hour day-of-month month day-of-week) or a macro such as @weekly',
          }),
        }),
        suspend: Type.Boolean({ default: false, description: 'No restore drills while true.' }),
      },
      {
        default: {},
        description:
          'Restore drills: a backup is only known to work once it was restored. A drill changes nothing of yours; a Database drill uses a scratch Database on the same server for its duration.',
      },
    ),
  },
  {
    ...celRules({
      rule: 'has(self.webspace) || has(self.database)',
      message: 'name a webspace, a database or both',
    }),
  },
)

export const BackupScheduleStatus = Type.Object({
  ...commonStatus,
  lastScheduleTime: Type.Optional(
    Type.String({ format: 'date-time', description: 'The last scheduled time a Backup was made for.' }),
  ),
  nextScheduleTime: Type.Optional(Type.String({ format: 'date-time' })),
  lastBackup: Type.Optional(Type.String({ maxLength: 63 })),
  lastSuccessfulBackup: Type.Optional(Type.String({ maxLength: 63 })),
  lastSuccessTime: Type.Optional(Type.String({ format: 'date-time' })),
  missedRuns: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Scheduled runs that did not run, ever.' }),
  ),
  lastMissedTime: Type.Optional(Type.String({ format: 'date-time' })),
  lastDrillScheduleTime: Type.Optional(
    Type.String({ format: 'date-time', description: 'The last scheduled time a drill was due.' }),
  ),
  lastDrill: Type.Optional(Type.String({ maxLength: 63, description: 'The newest drill Restore.' })),
  lastVerifiedRestore: Type.Optional(
    Type.Object(
      {
        time: Type.String({ format: 'date-time' }),
        backup: Type.String({ maxLength: 63 }),
        restore: Type.String({ maxLength: 63 }),
      },
      { description: 'The newest drill that restored a Backup and found everything it recorded.' },
    ),
  ),
})

export const BACKUP_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const
export type BackupPhase = (typeof BACKUP_PHASES)[number]

const Snapshot = Type.String({ maxLength: 64, description: "restic's snapshot id." })
const Bytes = Type.Integer({ minimum: 0 })

/** What a backup Job answers for the volume (the files part of the restore point). */
export const FilesResult = Type.Object({
  snapshot: Snapshot,
  files: Type.Integer({ minimum: 0 }),
  bytes: Bytes,
  added: Type.Integer({ minimum: 0, description: 'Bytes this backup added to the repository.' }),
})

/** What a backup Job answers for the database (the dump and its sums). */
export const DatabaseResult = Type.Object({
  snapshot: Snapshot,
  tables: Type.Integer({ minimum: 0 }),
  rows: Type.Integer({ minimum: 0 }),
  added: Bytes,
  changing: Type.Optional(
    Type.Array(Type.String({ maxLength: 256 }), {
      maxItems: 64,
      description: 'Tables written to while the dump ran (MariaDB): in the dump, their sums not compared.',
    }),
  ),
})

export const BackupStatus = Type.Object({
  ...commonStatus,
  phase: Type.Optional(StringEnum(BACKUP_PHASES)),
  target: Type.Optional(Type.String({ maxLength: 253 })),
  job: Type.Optional(Type.String({ maxLength: 63, description: 'The Job taking it.' })),
  startTime: Type.Optional(Type.String({ format: 'date-time' })),
  completionTime: Type.Optional(Type.String({ format: 'date-time' })),
  files: Type.Optional(FilesResult),
  database: Type.Optional(DatabaseResult),
})

export const RestoreSpec = Type.Object(
  {
    backup: ObjectName('backup', {
      description: 'The Backup (restore point) of this namespace to restore.',
    }),
    webspace: Type.Optional(
      ObjectName('webspace', {
        description:
          "A Webspace of this namespace to restore the Backup's files into, the original or another: its volume's contents are replaced by the Backup's.",
      }),
    ),
    database: Type.Optional(
      ObjectName('database', {
        description:
          "A Database of this namespace to restore the Backup's dump into, the original or another: its tables are replaced by the Backup's.",
      }),
    ),
    path: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description:
          'Only this file or directory of the volume, relative to its root (e.g. wp-content/uploads); the rest stays as it is.',
        ...celRules({
          rule: `!self.startsWith('/') && !self.endsWith('/') && !self.contains('//') && !${celMatches('self', '(^|/)[.][.]?(/|$)')}`,
          message: "path must be relative to the volume's root, without '.', '..' or empty segments",
        }),
      }),
    ),
    verify: Type.Optional(
      Type.Boolean({
        description:
          'A drill: restore into a throwaway place and compare with the checksums recorded when the Backup was taken; nothing of yours is changed.',
      }),
    ),
    keepCurrent: Type.Boolean({
      default: true,
      description:
        'Back up what is there now as Backup <name>-before, before anything is replaced (a restore can be undone).',
    }),
  },
  {
    ...celRules(
      { rule: 'self == oldSelf', message: 'a Restore cannot be changed: make a new one' },
      {
        rule: 'has(self.verify) && self.verify ? !has(self.webspace) && !has(self.database) && !has(self.path) : has(self.webspace) || has(self.database)',
        message:
          'name where to restore (a webspace, a database or both), or set verify: true for a drill that writes nowhere',
      },
      { rule: '!has(self.path) || has(self.webspace)', message: 'path needs a webspace to restore into' },
    ),
  },
)

export const RESTORE_PHASES = BACKUP_PHASES

export const RestoreStatus = Type.Object({
  ...commonStatus,
  phase: Type.Optional(StringEnum(RESTORE_PHASES)),
  target: Type.Optional(Type.String({ maxLength: 253 })),
  job: Type.Optional(Type.String({ maxLength: 63, description: 'The Job restoring it.' })),
  before: Type.Optional(
    Type.String({ maxLength: 63, description: 'The Backup of what was there before the restore.' }),
  ),
  scratch: Type.Optional(
    Type.String({ maxLength: 63, description: "A drill's scratch Database, deleted when the drill ends." }),
  ),
  startTime: Type.Optional(Type.String({ format: 'date-time' })),
  completionTime: Type.Optional(Type.String({ format: 'date-time' })),
  problems: Type.Optional(
    Type.Array(Type.String({ maxLength: 512 }), {
      maxItems: 20,
      description: 'What the restored data lacks against what the Backup recorded.',
    }),
  ),
})

export type RestoreSpec = Static<typeof RestoreSpec>
export type RestoreStatus = Static<typeof RestoreStatus>
export type BackupScheduleSpec = Static<typeof BackupScheduleSpec>
export type BackupScheduleStatus = Static<typeof BackupScheduleStatus>
export type BackupTargetSpec = Static<typeof BackupTargetSpec>
export type BackupTargetStatus = Static<typeof BackupTargetStatus>
export type BackupSpec = Static<typeof BackupSpec>
export type BackupStatus = Static<typeof BackupStatus>
export type FilesResult = Static<typeof FilesResult>
export type DatabaseResult = Static<typeof DatabaseResult>

export const BackupTargetKind: KindDefinition = {
  kind: 'BackupTarget',
  plural: 'backuptargets',
  singular: 'backuptarget',
  shortNames: ['bt'],
  scope: 'Cluster',
  description: "An S3-compatible bucket holding each customer's encrypted backup repository.",
  spec: BackupTargetSpec,
  status: BackupTargetStatus,
  objectRules: [
    {
      rule: `size(self.metadata.name) <= 40 && ${celMatches('self.metadata.name', DNS_LABEL)}`,
      message:
        "metadata.name must be a DNS label of at most 40 characters (lower-case letters, digits and '-'): it names the target's proxy",
    },
  ],
  printerColumns: [
    { name: 'Endpoint', type: 'string', jsonPath: '.spec.s3.endpoint' },
    { name: 'Bucket', type: 'string', jsonPath: '.spec.s3.bucket' },
    { name: 'Default', type: 'boolean', jsonPath: '.spec.default' },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}

export const BackupKind: KindDefinition = {
  kind: 'Backup',
  plural: 'backups',
  singular: 'backup',
  shortNames: ['bk'],
  scope: 'Namespaced',
  description: "One restore point of a Webspace's volume, a Database, or both, in the customer's repository.",
  spec: BackupSpec,
  status: BackupStatus,
  objectRules: [
    {
      rule: `size(self.metadata.name) <= ${MAX_BACKUP_NAME} && ${celMatches('self.metadata.name', DNS_LABEL)}`,
      message: `metadata.name must be a DNS label of at most ${MAX_BACKUP_NAME} characters (lower-case letters, digits and '-')`,
    },
  ],
  printerColumns: [
    { name: 'Webspace', type: 'string', jsonPath: '.spec.webspace' },
    { name: 'Database', type: 'string', jsonPath: '.spec.database' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Files', type: 'integer', jsonPath: '.status.files.files' },
    { name: 'Rows', type: 'integer', jsonPath: '.status.database.rows' },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}

export const RestoreKind: KindDefinition = {
  kind: 'Restore',
  plural: 'restores',
  singular: 'restore',
  shortNames: ['rs'],
  scope: 'Namespaced',
  description:
    'A Backup restored into a Webspace, a Database or both (all, or one file or directory), or a drill that restores it into a throwaway place and checks it.',
  spec: RestoreSpec,
  status: RestoreStatus,
  objectRules: [
    {
      rule: `size(self.metadata.name) <= ${MAX_RESTORE_NAME} && ${celMatches('self.metadata.name', DNS_LABEL)}`,
      message: `metadata.name must be a DNS label of at most ${MAX_RESTORE_NAME} characters (lower-case letters, digits and '-')`,
    },
  ],
  printerColumns: [
    { name: 'Backup', type: 'string', jsonPath: '.spec.backup' },
    { name: 'Webspace', type: 'string', jsonPath: '.spec.webspace' },
    { name: 'Database', type: 'string', jsonPath: '.spec.database' },
    { name: 'Verify', type: 'boolean', jsonPath: '.spec.verify' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}

export const BackupScheduleKind: KindDefinition = {
  kind: 'BackupSchedule',
  plural: 'backupschedules',
  singular: 'backupschedule',
  shortNames: ['bks'],
  scope: 'Namespaced',
  description: "Backups of a Webspace's volume, a Database or both on a cron schedule, with retention.",
  spec: BackupScheduleSpec,
  status: BackupScheduleStatus,
  objectRules: [
    {
      rule: `size(self.metadata.name) <= ${MAX_SCHEDULE_NAME} && ${celMatches('self.metadata.name', DNS_LABEL)}`,
      message: `metadata.name must be a DNS label of at most ${MAX_SCHEDULE_NAME} characters (lower-case letters, digits and '-')`,
    },
  ],
  printerColumns: [
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule' },
    { name: 'Suspend', type: 'boolean', jsonPath: '.spec.suspend' },
    { name: 'Last Success', type: 'date', jsonPath: '.status.lastSuccessTime' },
    { name: 'Missed', type: 'integer', jsonPath: '.status.missedRuns' },
    { name: 'Verified', type: 'date', jsonPath: '.status.lastVerifiedRestore.time' },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}
