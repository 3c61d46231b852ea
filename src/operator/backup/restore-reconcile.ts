/**
 * One Restore, done once. Reads the caches (its Backup, its Job and Pods, the Webspace and
 * Database it restores into, a drill's scratch Database, the targets); each pass ends in one kind
 * of write:
 *   finished                         → nothing (a drill's scratch Database is deleted first)
 *   its Job finished                 → Succeeded (Restored, DrillPassed) or Failed (RestoreFailed,
 *                                      DrillFailed with what the restored data lacks)
 *   its Job runs                     → Running
 *   cannot start yet (the Backup not done, no Webspace volume, a Database without a Secret, the
 *     scratch Database not ready …)  → Pending with the reason; failed after the grace period
 *   what is there now not yet backed up (keepCurrent) → the Backup `<name>-before`, then its end:
 *     a restore replaces data only after that Backup succeeded (or found nothing to keep)
 *   another backup Job of the namespace runs → Pending (BackupQueued)
 *   otherwise                        → the repository access, then the Job.
 */
import type { RestoreStatus } from '../../api/backup.js'
import type { Backup, Database, Restore } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { findCondition } from '../../kube/conditions.js'
import type { ReconcileResult } from '../../kube/controller-builder.js'
import type { EventRecorder } from '../../kube/events.js'
import { controllerReference } from '../../kube/object.js'
import { MANAGED_BY } from '../customer/names.js'
import { DATABASES } from '../database/owned.js'
import { failureText } from './answer.js'
import { REASON as BACKUP_REASON, RESTORE_REASON } from './conditions.js'
import { type BackupJobSettings, renderRestoreJob } from './job.js'
import { isFinished, jobEnd, jobFinished, type JobObject, RunStatus } from './job-run.js'
import {
  BACKUPS,
  beforeBackupName,
  JOBS,
  RESTORE_LABEL,
  RESTORES,
  restoreKey,
  SCRATCH_LABEL,
  scratchDatabaseName,
} from './owned.js'
import type { BackupCache } from './reconcile.js'
import type { RepositoryAccessKeeper } from './repository-access.js'
import { restoreAnswer } from './restore-answer.js'

export interface RestoreCache extends BackupCache {
  restore(key: string): Restore | undefined
}

export type RestoreOutcome = { kind: 'restore' | 'drill'; outcome: 'succeeded' | 'failed' }

export interface RestoreReconcilerOptions {
  readonly cache: RestoreCache
  readonly applier: Pick<Applier, 'apply' | 'applyStatus' | 'create' | 'delete'>
  readonly events: Pick<EventRecorder, 'record'>
  readonly access: Pick<RepositoryAccessKeeper, 'ensure'>
  readonly settings: BackupJobSettings | undefined
  readonly countOutcome: (outcome: RestoreOutcome) => void
  readonly retryMs?: number
  readonly pendingGraceMs?: number
  readonly clock?: () => Date
}

export class RestoreReconciler {
  private readonly status: RunStatus<RestoreStatus>

  constructor(private readonly options: RestoreReconcilerOptions) {
    this.status = new RunStatus<RestoreStatus>({
      kind: RESTORES,
      applier: options.applier,
      events: options.events,
      runningReason: RESTORE_REASON.RestoreRunning,
      patientReasons: [RESTORE_REASON.BackupQueued, RESTORE_REASON.SavingCurrent],
      finished: (phase, reason) =>
        options.countOutcome({
          kind:
            reason === RESTORE_REASON.DrillPassed || reason === RESTORE_REASON.DrillFailed
              ? 'drill'
              : 'restore',
          outcome: phase === 'Succeeded' ? 'succeeded' : 'failed',
        }),
      retryMs: options.retryMs,
      pendingGraceMs: options.pendingGraceMs,
      clock: options.clock,
    })
  }

  /** `key`: the Restore's `namespace/name`. */
  async reconcile(key: string): Promise<ReconcileResult> {
    const { cache } = this.options
    const restore = cache.restore(key)
    if (!restore || restore.metadata.deletionTimestamp) return 'none'
    if (isFinished(restore)) return this.dropScratch(restore)
    const job = cache.job(restoreKey(key))
    if (job) return this.follow(restore, key, job)
    if (restore.status?.job)
      return this.status.finish(
        restore,
        'Failed',
        RESTORE_REASON.JobLost,
        `Job ${restore.status.job} was deleted before it answered`,
      )
    return this.start(restore)
  }

  private async start(restore: Restore): Promise<ReconcileResult> {
    const { cache, settings } = this.options
    const { spec } = restore
    const namespace = restore.metadata.namespace ?? ''
    const customer = cache.customerOf(namespace)
    if (!customer)
      return this.status.wait(restore, RESTORE_REASON.NoCustomer, `no Customer owns namespace ${namespace}`)
    if (!settings)
      return this.status.wait(
        restore,
        RESTORE_REASON.BackupsNotConfigured,
        'the operator runs without --backup-image, so it starts no backup Jobs: ask your platform operator',
      )
    const backup = cache.backup(`${namespace}/${spec.backup}`)
    if (!backup)
      return this.status.wait(
        restore,
        RESTORE_REASON.BackupNotFound,
        `Backup ${spec.backup} does not exist here`,
      )
    if (backup.status?.phase === 'Failed')
      return this.status.finish(
        restore,
        'Failed',
        RESTORE_REASON.BackupNotFound,
        `Backup ${spec.backup} failed: there is nothing to restore`,
      )
    const target = backup.status?.target
    if (backup.status?.phase !== 'Succeeded' || !target)
      return this.status.wait(
        restore,
        RESTORE_REASON.BackupNotFound,
        `Backup ${spec.backup} is not done yet (${backup.status?.phase ?? 'Pending'})`,
      )
    if (!cache.targets().some((t) => t.metadata.name === target))
      return this.status.wait(
        restore,
        RESTORE_REASON.TargetNotFound,
        `BackupTarget ${target}, where Backup ${spec.backup} went, does not exist`,
      )
    const lacks = [
      ...(spec.webspace && !backup.status.files ? ['files'] : []),
      ...(spec.database && !backup.status.database ? ['database'] : []),
    ]
    if (lacks.length > 0)
      return this.status.finish(
        restore,
        'Failed',
        RESTORE_REASON.NothingToRestore,
        `Backup ${spec.backup} holds no ${lacks.join(' and no ')}: name only what it holds`,
      )

    let webspace: { name: string; claim: string } | undefined
    if (spec.webspace) {
      const found = cache.webspace(`${namespace}/${spec.webspace}`)
      if (!found)
        return this.status.wait(
          restore,
          RESTORE_REASON.WebspaceNotFound,
          `Webspace ${spec.webspace} does not exist here`,
        )
      if (!found.spec.storage)
        return this.status.wait(
          restore,
          RESTORE_REASON.NoStorage,
          `Webspace ${spec.webspace} has no spec.storage: there is no volume to restore into`,
        )
      webspace = { name: found.metadata.name, claim: found.metadata.name }
    }
    let databaseSecret: string | undefined
    const fields: Partial<RestoreStatus> = { target }
    if (spec.database) {
      databaseSecret = cache.database(`${namespace}/${spec.database}`)?.status?.secret
      if (!databaseSecret)
        return this.status.wait(
          restore,
          RESTORE_REASON.DatabaseNotReady,
          `Database ${spec.database} does not exist here or has no connection Secret yet`,
        )
    }
    if (spec.verify && backup.status.database) {
      const scratch = await this.scratch(restore, backup)
      if (scratch.kind === 'wait') return this.status.wait(restore, scratch.reason, scratch.message, fields)
      databaseSecret = scratch.secret
      fields.scratch = scratch.name
    }
    // The restore point a failed database load names as the way back, when there is one.
    let before: string | undefined
    if (!spec.verify && spec.keepCurrent) {
      const kept = await this.keepCurrent(restore, backup)
      fields.before = beforeBackupName(restore.metadata.name)
      if (kept.kind === 'wait')
        return this.status.wait(restore, RESTORE_REASON.SavingCurrent, kept.message, fields)
      if (kept.kind === 'failed')
        return this.status.finish(restore, 'Failed', RESTORE_REASON.SavingCurrentFailed, kept.message, fields)
      before = kept.point
    }
    const busy = cache.jobsIn(namespace).find((job) => !jobFinished(job))
    if (busy)
      return this.status.wait(
        restore,
        RESTORE_REASON.BackupQueued,
        `waits for Job ${busy.metadata.name}: one backup Job runs at a time in a namespace (its quota holds one)`,
        fields,
      )
    const access = await this.options.access.ensure(target, customer.metadata.name, namespace)
    if (access.kind === 'conflict')
      return this.status.wait(restore, RESTORE_REASON.SecretConflict, access.message, fields)
    if (access.kind === 'wrote')
      return { step: 'applied', requeueAfterMs: Math.min(this.status.retryMs, 1000) }
    const job = renderRestoreJob(
      {
        restore: { name: restore.metadata.name, namespace, uid: restore.metadata.uid ?? '' },
        customer: customer.metadata.name,
        target,
        point: backup.metadata.name,
        webspace,
        path: spec.path,
        databaseSecret,
        before,
        ...(spec.verify ? { verify: { files: backup.status.files !== undefined } } : {}),
      },
      settings,
    )
    await this.options.applier.apply({ ...JOBS, namespace, name: job.metadata.name }, job, undefined)
    return this.status.write(
      restore,
      'Pending',
      {
        type: 'Ready',
        status: 'False',
        reason: RESTORE_REASON.RestoreRunning,
        message: 'the restore Job was created',
      },
      { ...fields, job: job.metadata.name },
    )
  }

  /** A drill's empty scratch Database on the server of the Backup's Database, made once. */
  private async scratch(
    restore: Restore,
    backup: Backup,
  ): Promise<
    { kind: 'ready'; name: string; secret: string } | { kind: 'wait'; reason: string; message: string }
  > {
    const namespace = restore.metadata.namespace ?? ''
    const name = scratchDatabaseName(restore.metadata.uid ?? '')
    const scratch = this.options.cache.database(`${namespace}/${name}`)
    if (scratch?.status?.secret) return { kind: 'ready', name, secret: scratch.status.secret }
    if (scratch)
      return {
        kind: 'wait',
        reason: RESTORE_REASON.ScratchNotReady,
        message: `the drill's scratch Database ${name} is not ready yet: ${findCondition(scratch.status?.conditions, 'Ready')?.message ?? 'just made'}`,
      }
    const original = this.options.cache.database(`${namespace}/${backup.spec.database ?? ''}`)
    if (!original?.status?.server)
      return {
        kind: 'wait',
        reason: RESTORE_REASON.DatabaseNotReady,
        message: `the drill restores into a scratch Database on the server of Database ${backup.spec.database}, which does not exist here or is not placed`,
      }
    await this.options.applier.create({ ...DATABASES, namespace }, {
      apiVersion: DATABASES.apiVersion,
      kind: DATABASES.kind,
      metadata: {
        name,
        namespace,
        labels: { ...MANAGED_BY, [SCRATCH_LABEL]: restore.metadata.name },
        ownerReferences: [controllerReference(restore)],
      },
      spec: { engine: original.spec.engine, server: original.status.server, deletionPolicy: 'Delete' },
    } satisfies Omit<Database, 'status'>)
    return {
      kind: 'wait',
      reason: RESTORE_REASON.ScratchNotReady,
      message: `the drill's scratch Database ${name} was made on server ${original.status.server}`,
    }
  }

  /**
   * The Backup of what the restore replaces: made once; done when it succeeded (its point is the
   * way back) or found nothing.
   */
  private async keepCurrent(
    restore: Restore,
    backup: Backup,
  ): Promise<
    { kind: 'done'; point?: string } | { kind: 'wait'; message: string } | { kind: 'failed'; message: string }
  > {
    const namespace = restore.metadata.namespace ?? ''
    const name = beforeBackupName(restore.metadata.name)
    const before = this.options.cache.backup(`${namespace}/${name}`)
    if (!before) {
      const { webspace, database } = restore.spec
      await this.options.applier.create(
        { ...BACKUPS, namespace },
        {
          apiVersion: BACKUPS.apiVersion,
          kind: BACKUPS.kind,
          metadata: { name, namespace, labels: { ...MANAGED_BY, [RESTORE_LABEL]: restore.metadata.name } },
          spec: {
            ...(backup.status?.target ? { target: backup.status.target } : {}),
            ...(webspace ? { webspace } : {}),
            ...(database ? { database } : {}),
          },
        },
      )
      return { kind: 'wait', message: `Backup ${name} keeps what is there now before it is replaced` }
    }
    const ready = findCondition(before.status?.conditions, 'Ready')
    if (before.status?.phase === 'Succeeded') return { kind: 'done', point: name }
    if (before.status?.phase === 'Failed' && ready?.reason === BACKUP_REASON.BackupEmpty)
      return { kind: 'done' }
    if (before.status?.phase === 'Failed')
      return {
        kind: 'failed',
        message: `Backup ${name} of what is there now failed (${ready?.message ?? 'no reason given'}): nothing was changed`,
      }
    return {
      kind: 'wait',
      message: `Backup ${name} keeps what is there now before it is replaced (${ready?.message ?? 'starting'})`,
    }
  }

  private async follow(restore: Restore, key: string, job: JobObject): Promise<ReconcileResult> {
    const end = jobEnd(job, this.options.cache.pods(restoreKey(key)))
    const jobName = job.metadata.name
    const drill = restore.spec.verify === true
    if (end.kind === 'unread') return 'none'
    if (end.kind === 'running')
      return this.status.write(
        restore,
        'Running',
        {
          type: 'Ready',
          status: 'False',
          reason: RESTORE_REASON.RestoreRunning,
          message: `Job ${jobName} runs`,
        },
        end.fields,
      )
    const answer = restoreAnswer(end.message, restore.spec.backup)
    const failed = drill ? RESTORE_REASON.DrillFailed : RESTORE_REASON.RestoreFailed
    if (answer.ok && answer.problems.length > 0)
      return this.status.finish(
        restore,
        'Failed',
        failed,
        `${drill ? `the drill of Backup ${restore.spec.backup} found` : `Backup ${restore.spec.backup} was restored, with`} ${answer.problems.length} differences from what it recorded: ${answer.problems.slice(0, 3).join('; ')}`,
        { ...end.fields, problems: answer.problems.slice(0, 20) },
      )
    if (end.kind === 'failed' || !answer.ok)
      return this.status.finish(
        restore,
        'Failed',
        failed,
        `Backup ${restore.spec.backup} could not be ${drill ? 'restored for the drill' : 'restored'}: Job ${jobName} failed: ${end.kind === 'failed' ? end.said : failureText(answer.ok ? undefined : answer.message)}`,
        end.fields,
      )
    return this.status.finish(
      restore,
      'Succeeded',
      drill ? RESTORE_REASON.DrillPassed : RESTORE_REASON.Restored,
      drill
        ? `Backup ${restore.spec.backup} was restored into a throwaway place and holds everything it recorded`
        : `Backup ${restore.spec.backup} was restored into ${[
            ...(restore.spec.webspace
              ? [`Webspace ${restore.spec.webspace}${restore.spec.path ? ` (${restore.spec.path})` : ''}`]
              : []),
            ...(restore.spec.database ? [`Database ${restore.spec.database}`] : []),
          ].join(' and ')}`,
      end.fields,
    )
  }

  /** A finished drill's scratch Database goes at once: it holds a copy of the customer's data and counts in its quota. */
  private async dropScratch(restore: Restore): Promise<ReconcileResult> {
    const name = restore.status?.scratch
    const namespace = restore.metadata.namespace ?? ''
    if (!name || !this.options.cache.database(`${namespace}/${name}`)) return 'none'
    await this.options.applier.delete({ ...DATABASES, namespace, name })
    return 'applied'
  }
}
