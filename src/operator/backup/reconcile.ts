/**
 * One Backup, taken once. Reads the caches (its Job and Pod by label, the namespace's Customer,
 * Webspaces, Databases, the BackupTargets) and at most one tenant Secret; each pass ends in one
 * kind of write, and a finished Backup is never touched again:
 *   finished (Succeeded or Failed)  → nothing
 *   its Job finished                → the answer in status: Succeeded, Failed or Empty (a Warning
 *                                     Event and the outcome counted in the metrics)
 *   its Job runs                    → Running
 *   it had a Job that is gone       → Failed (JobLost)
 *   cannot start yet (no target, no Webspace volume, Database without a Secret, …) → Pending with
 *     the reason, tried again every `retryMs`; after `pendingGraceMs` it fails with that reason
 *   another backup Job of the namespace runs → Pending (BackupQueued) until it ends: one at a time
 *     keeps a backup within the customer's quota beside its apps
 *   otherwise                       → the customer's repository access, then the Job.
 */
import type {
  Backup,
  BackupSchedule,
  BackupTarget,
  Customer,
  Database,
  Webspace,
} from '../../api/resources.js'
import type { BackupStatus } from '../../api/backup.js'
import type { Applier } from '../../kube/apply.js'
import type { ReconcileResult } from '../../kube/controller-builder.js'
import type { EventRecorder } from '../../kube/events.js'
import { emptiness, successAnswer } from './answer.js'
import { CONDITION, REASON } from './conditions.js'
import { type BackupJobSettings, renderBackupJob } from './job.js'
import { isFinished, jobEnd, jobFinished, type JobObject, type PodObject, RunStatus } from './job-run.js'
import { BACKUPS, JOBS } from './owned.js'
import type { RepositoryAccessKeeper } from './repository-access.js'

export interface BackupCache {
  backup(key: string): Backup | undefined
  job(key: string): JobObject | undefined
  /** The Backup's Pods, oldest first. */
  pods(key: string): readonly PodObject[]
  /** The backup Jobs of a namespace. */
  jobsIn(namespace: string): readonly JobObject[]
  /** A BackupSchedule by `namespace/name`. */
  schedule(key: string): BackupSchedule | undefined
  targets(): readonly BackupTarget[]
  customerOf(namespace: string): Customer | undefined
  webspace(key: string): Webspace | undefined
  database(key: string): Database | undefined
}

export type BackupOutcome = 'succeeded' | 'failed' | 'empty'

export interface BackupReconcilerOptions {
  readonly cache: BackupCache
  readonly applier: Pick<Applier, 'apply' | 'applyStatus'>
  readonly events: Pick<EventRecorder, 'record'>
  readonly access: Pick<RepositoryAccessKeeper, 'ensure'>
  /** Undefined when the operator runs without --backup-image. */
  readonly settings: BackupJobSettings | undefined
  /** Counts each finished Backup once, by outcome. */
  readonly countOutcome: (outcome: BackupOutcome) => void
  /** How soon a Backup that cannot start is tried again. @default 30 s */
  readonly retryMs?: number
  /** How long a Backup may wait to start before it fails. @default 10 minutes */
  readonly pendingGraceMs?: number
  readonly clock?: () => Date
}

/** Group of restore points made by hand (a Backup no BackupSchedule made). */
export const MANUAL_GROUP = 'manual'
/** The label a BackupSchedule puts on the Backups it makes: its name is their restic group. */
export const SCHEDULE_LABEL = 'hostplane.dev/backup-schedule'

/** The default BackupTarget, or the one named: undefined when there is none (or more than one default). */
export function targetOf(backup: Backup, targets: readonly BackupTarget[]): BackupTarget | undefined {
  if (backup.spec.target) return targets.find((t) => t.metadata.name === backup.spec.target)
  const defaults = targets.filter((t) => t.spec.default === true)
  return defaults.length === 1 ? defaults[0] : undefined
}

export class BackupReconciler {
  private readonly status: RunStatus<BackupStatus>

  constructor(private readonly options: BackupReconcilerOptions) {
    this.status = new RunStatus<BackupStatus>({
      kind: BACKUPS,
      applier: options.applier,
      events: options.events,
      runningReason: REASON.BackupRunning,
      patientReasons: [REASON.BackupQueued],
      finished: (phase, reason) =>
        options.countOutcome(
          phase === 'Succeeded' ? 'succeeded' : reason === REASON.BackupEmpty ? 'empty' : 'failed',
        ),
      retryMs: options.retryMs,
      pendingGraceMs: options.pendingGraceMs,
      clock: options.clock,
    })
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { cache } = this.options
    const backup = cache.backup(key)
    if (!backup || backup.metadata.deletionTimestamp || isFinished(backup)) return 'none'
    const job = cache.job(key)
    if (job) return this.follow(backup, key, job)
    if (backup.status?.job)
      return this.status.finish(
        backup,
        'Failed',
        REASON.JobLost,
        `Job ${backup.status.job} was deleted before it answered`,
      )
    return this.start(backup)
  }

  private async start(backup: Backup): Promise<ReconcileResult> {
    const { cache, settings } = this.options
    const retryMs = this.status.retryMs
    const namespace = backup.metadata.namespace ?? ''
    const customer = cache.customerOf(namespace)
    if (!customer)
      return this.status.wait(backup, REASON.NoCustomer, `no Customer owns namespace ${namespace}`)
    if (!settings)
      return this.status.wait(
        backup,
        REASON.BackupsNotConfigured,
        'the operator runs without --backup-image, so it starts no backup Jobs: ask your platform operator',
      )
    const target = targetOf(backup, cache.targets())
    if (!target)
      return this.status.wait(
        backup,
        REASON.TargetNotFound,
        backup.spec.target
          ? `BackupTarget ${backup.spec.target} does not exist`
          : 'no BackupTarget is the default (spec.default: true on exactly one), and spec.target names none',
      )
    let webspace: { name: string; claim: string } | undefined
    if (backup.spec.webspace) {
      const found = cache.webspace(`${namespace}/${backup.spec.webspace}`)
      if (!found)
        return this.status.wait(
          backup,
          REASON.WebspaceNotFound,
          `Webspace ${backup.spec.webspace} does not exist here`,
        )
      if (!found.spec.storage)
        return this.status.wait(
          backup,
          REASON.NoStorage,
          `Webspace ${backup.spec.webspace} has no spec.storage: there is no volume to back up`,
        )
      // The Webspace's claim carries its name (src/operator/webspace/render.ts).
      webspace = { name: found.metadata.name, claim: found.metadata.name }
    }
    let databaseSecret: string | undefined
    if (backup.spec.database) {
      databaseSecret = cache.database(`${namespace}/${backup.spec.database}`)?.status?.secret
      if (!databaseSecret)
        return this.status.wait(
          backup,
          REASON.DatabaseNotReady,
          `Database ${backup.spec.database} does not exist here or has no connection Secret yet`,
        )
    }
    const busy = cache.jobsIn(namespace).find((job) => !jobFinished(job))
    if (busy)
      return this.status.wait(
        backup,
        REASON.BackupQueued,
        `waits for Job ${busy.metadata.name}: one backup Job runs at a time in a namespace (its quota holds one)`,
      )
    const targetName = target.metadata.name
    const access = await this.options.access.ensure(targetName, customer.metadata.name, namespace)
    if (access.kind === 'conflict') return this.status.wait(backup, REASON.SecretConflict, access.message)
    if (access.kind === 'wrote') return { step: 'applied', requeueAfterMs: Math.min(retryMs, 1000) }
    const group = backup.metadata.labels?.[SCHEDULE_LABEL] ?? MANUAL_GROUP
    const schedule = cache.schedule(`${namespace}/${group}`)
    const job = renderBackupJob(
      {
        backup: { name: backup.metadata.name, namespace, uid: backup.metadata.uid ?? '' },
        customer: customer.metadata.name,
        target: targetName,
        group,
        webspace,
        databaseSecret,
        ...(schedule ? { retention: { ...schedule.spec.retention, timeZone: schedule.spec.timeZone } } : {}),
      },
      settings,
    )
    await this.options.applier.apply({ ...JOBS, namespace, name: job.metadata.name }, job, undefined)
    return this.status.write(
      backup,
      'Pending',
      {
        type: CONDITION.Ready,
        status: 'False',
        reason: REASON.BackupRunning,
        message: 'the backup Job was created',
      },
      { target: targetName, job: job.metadata.name },
    )
  }

  private async follow(backup: Backup, key: string, job: JobObject): Promise<ReconcileResult> {
    const end = jobEnd(job, this.options.cache.pods(key))
    const jobName = job.metadata.name
    if (end.kind === 'unread') return 'none'
    if (end.kind === 'running')
      return this.status.write(
        backup,
        'Running',
        {
          type: CONDITION.Ready,
          status: 'False',
          reason: REASON.BackupRunning,
          message: `Job ${jobName} runs`,
        },
        end.fields,
      )
    if (end.kind === 'failed')
      return this.status.finish(
        backup,
        'Failed',
        REASON.BackupFailed,
        `Job ${jobName} failed: ${end.said}`,
        end.fields,
      )
    const answer = successAnswer(end.message, backup.metadata.name)
    if (!answer.ok)
      return this.status.finish(backup, 'Failed', REASON.BackupFailed, answer.message, end.fields)
    const parts = {
      ...end.fields,
      ...(answer.files ? { files: answer.files } : {}),
      ...(answer.database ? { database: answer.database } : {}),
    }
    const empty = emptiness(answer)
    if (empty) return this.status.finish(backup, 'Failed', REASON.BackupEmpty, empty, parts)
    return this.status.finish(backup, 'Succeeded', REASON.BackupSucceeded, describe(answer), parts)
  }
}

const describe = (answer: {
  files?: { files: number; bytes: number; added: number }
  database?: { tables: number; rows: number; added: number }
}) =>
  [
    ...(answer.files
      ? [
          `${answer.files.files} files (${answer.files.bytes} bytes, ${answer.files.added} added to the repository)`,
        ]
      : []),
    ...(answer.database
      ? [
          `${answer.database.tables} tables, ${answer.database.rows} rows (${answer.database.added} bytes added)`,
        ]
      : []),
  ].join('; ')
