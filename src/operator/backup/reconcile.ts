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
import type { BackupPhase, BackupStatus } from '../../api/backup.js'
import { containsDesired, type Applier } from '../../kube/apply.js'
import {
  conditionsUpToDate,
  type DesiredCondition,
  kubeTime,
  storedConditions,
} from '../../kube/conditions.js'
import type { ReconcileResult } from '../../kube/controller-builder.js'
import { type EventRecorder, recordConditionChanges } from '../../kube/events.js'
import type { KubeObject } from '../../kube/object.js'
import { emptiness, failureText, successAnswer } from './answer.js'
import { CONDITION, REASON } from './conditions.js'
import { type BackupJobSettings, CONTAINER, renderBackupJob } from './job.js'
import { BACKUPS, JOBS } from './owned.js'
import type { RepositoryAccessKeeper } from './repository-access.js'

export interface JobObject extends KubeObject {
  readonly status?: {
    readonly startTime?: string
    readonly completionTime?: string
    readonly conditions?: readonly {
      readonly type: string
      readonly status: string
      readonly message?: string
    }[]
  }
}

export interface PodObject extends KubeObject {
  readonly status?: {
    readonly phase?: string
    readonly containerStatuses?: readonly {
      readonly name: string
      readonly state?: { readonly terminated?: { readonly exitCode: number; readonly message?: string } }
    }[]
  }
}

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

const finished = (job: JobObject) =>
  job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')

const terminated = (pod: PodObject) =>
  pod.status?.containerStatuses?.find((c) => c.name === CONTAINER)?.state?.terminated

/** The default BackupTarget, or the one named: undefined when there is none (or more than one default). */
export function targetOf(backup: Backup, targets: readonly BackupTarget[]): BackupTarget | undefined {
  if (backup.spec.target) return targets.find((t) => t.metadata.name === backup.spec.target)
  const defaults = targets.filter((t) => t.spec.default === true)
  return defaults.length === 1 ? defaults[0] : undefined
}

export class BackupReconciler {
  constructor(private readonly options: BackupReconcilerOptions) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { cache } = this.options
    const backup = cache.backup(key)
    if (!backup || backup.metadata.deletionTimestamp) return 'none'
    const phase = backup.status?.phase
    if (phase === 'Succeeded' || phase === 'Failed') return 'none'
    const job = cache.job(key)
    if (job) return this.follow(backup, key, job)
    if (backup.status?.job)
      return this.finish(
        backup,
        'Failed',
        REASON.JobLost,
        `Job ${backup.status.job} was deleted before it answered`,
      )
    return this.start(backup)
  }

  private async start(backup: Backup): Promise<ReconcileResult> {
    const { cache, settings, retryMs = 30_000 } = this.options
    const namespace = backup.metadata.namespace ?? ''
    const customer = cache.customerOf(namespace)
    if (!customer) return this.wait(backup, REASON.NoCustomer, `no Customer owns namespace ${namespace}`)
    if (!settings)
      return this.wait(
        backup,
        REASON.BackupsNotConfigured,
        'the operator runs without --backup-image, so it starts no backup Jobs: ask your platform operator',
      )
    const target = targetOf(backup, cache.targets())
    if (!target)
      return this.wait(
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
        return this.wait(
          backup,
          REASON.WebspaceNotFound,
          `Webspace ${backup.spec.webspace} does not exist here`,
        )
      if (!found.spec.storage)
        return this.wait(
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
        return this.wait(
          backup,
          REASON.DatabaseNotReady,
          `Database ${backup.spec.database} does not exist here or has no connection Secret yet`,
        )
    }
    const busy = cache.jobsIn(namespace).find((job) => !finished(job))
    if (busy)
      return this.wait(
        backup,
        REASON.BackupQueued,
        `waits for Job ${busy.metadata.name}: one backup Job runs at a time in a namespace (its quota holds one)`,
      )
    const targetName = target.metadata.name
    const access = await this.options.access.ensure(targetName, customer.metadata.name, namespace)
    if (access.kind === 'conflict') return this.wait(backup, REASON.SecretConflict, access.message)
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
    return this.writeStatus(
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
    const done = finished(job)
    const jobName = job.metadata.name
    const times = {
      job: jobName,
      ...(job.status?.startTime ? { startTime: job.status.startTime } : {}),
    }
    if (!done)
      return this.writeStatus(
        backup,
        'Running',
        {
          type: CONDITION.Ready,
          status: 'False',
          reason: REASON.BackupRunning,
          message: `Job ${jobName} runs`,
        },
        times,
      )
    const pods = this.options.cache.pods(key)
    if (done.type === 'Failed') {
      const last = [...pods].reverse().find((pod) => terminated(pod))
      const said = last ? failureText(terminated(last)?.message) : (done.message ?? 'the Job failed')
      return this.finish(backup, 'Failed', REASON.BackupFailed, `Job ${jobName} failed: ${said}`, times)
    }
    const succeeded = pods.find((pod) => terminated(pod)?.exitCode === 0)
    if (!succeeded) return 'none' // the Pod's final status reaches the cache after the Job's
    const answer = successAnswer(terminated(succeeded)?.message, backup.metadata.name)
    if (!answer.ok) return this.finish(backup, 'Failed', REASON.BackupFailed, answer.message, times)
    const parts = {
      ...times,
      ...(answer.files ? { files: answer.files } : {}),
      ...(answer.database ? { database: answer.database } : {}),
    }
    const empty = emptiness(answer)
    if (empty) return this.finish(backup, 'Failed', REASON.BackupEmpty, empty, parts)
    return this.finish(backup, 'Succeeded', REASON.BackupSucceeded, describe(answer), parts)
  }

  /** Pending with why; failed with it once the Backup has waited too long. */
  private async wait(backup: Backup, reason: string, message: string): Promise<ReconcileResult> {
    const { retryMs = 30_000, pendingGraceMs = 10 * 60_000, clock = () => new Date() } = this.options
    const created = Date.parse(backup.metadata.creationTimestamp ?? '')
    if (reason !== REASON.BackupQueued && clock().getTime() - created > pendingGraceMs)
      return this.finish(
        backup,
        'Failed',
        reason,
        `${message} (waited ${Math.round(pendingGraceMs / 60_000)} minutes)`,
      )
    const step = await this.writeStatus(backup, 'Pending', {
      type: CONDITION.Ready,
      status: 'False',
      reason,
      message,
    })
    return { step, requeueAfterMs: retryMs }
  }

  private async finish(
    backup: Backup,
    phase: 'Succeeded' | 'Failed',
    reason: string,
    message: string,
    fields: Partial<BackupStatus> = {},
  ): Promise<ReconcileResult> {
    const { clock = () => new Date() } = this.options
    const step = await this.writeStatus(
      backup,
      phase,
      { type: CONDITION.Ready, status: phase === 'Succeeded' ? 'True' : 'False', reason, message },
      { ...fields, completionTime: kubeTime(clock()) },
    )
    if (step !== 'none')
      this.options.countOutcome(
        phase === 'Succeeded' ? 'succeeded' : reason === REASON.BackupEmpty ? 'empty' : 'failed',
      )
    return step
  }

  private async writeStatus(
    backup: Backup,
    phase: BackupPhase,
    condition: DesiredCondition,
    fields: Partial<BackupStatus> = {},
  ): Promise<'none' | 'status'> {
    const { applier, clock = () => new Date() } = this.options
    const generation = backup.metadata.generation
    const current = backup.status
    const conditions = [condition]
    const status = { observedGeneration: generation, phase, ...fields }
    if (conditionsUpToDate(conditions, current?.conditions, generation) && containsDesired(current, status))
      return 'none'
    await applier.applyStatus(
      { ...BACKUPS, namespace: backup.metadata.namespace, name: backup.metadata.name },
      {
        apiVersion: BACKUPS.apiVersion,
        kind: BACKUPS.kind,
        metadata: { name: backup.metadata.name, namespace: backup.metadata.namespace },
        status: {
          ...current,
          ...status,
          conditions: storedConditions(conditions, current?.conditions, generation, clock()),
        },
      },
    )
    await recordConditionChanges(
      this.options.events,
      backup,
      current?.conditions,
      conditions,
      [CONDITION.Ready],
      (c) => (c.status === 'True' || c.reason === REASON.BackupRunning ? 'Normal' : 'Warning'),
    )
    return 'status'
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
