/**
 * One BackupSchedule, looked at when something changes and at its next scheduled time. Reads the
 * caches (the schedule, the Backups it made); writes at most a Backup, deletions of old Backup
 * objects and the status:
 *   the most recent scheduled time is due (planSchedule) → a Backup `<schedule>-<yyyymmddhhmm>`,
 *     owned by the schedule and labelled with it (its restic group), unless one of its Backups
 *     still runs: then that run is missed (one at a time, like a CronJob's Forbid);
 *   scheduled times that passed without a run (the operator was down, past the starting deadline,
 *     a Backup still running) → counted in status.missedRuns, Scheduled=False (MissedSchedule) until
 *     a later run starts on time, a Warning Event and the missed-runs metric;
 *   the newest finished Backup → BackedUp (its outcome), lastSuccessfulBackup, the success gauge;
 *   finished Backup objects beyond the newest HISTORY are deleted (their restore points stay
 *     until the retention forgets them);
 *   a drill is due (spec.drill.schedule) → a Restore `<schedule>-<yyyymmddhhmm>` with verify of
 *     the newest successful Backup (none while one runs, or before a Backup succeeded); the
 *     newest finished drill → Verified, lastVerifiedRestore, the verified gauge; old drills
 *     deleted beyond HISTORY.
 * Retention itself runs in each scheduled backup Job (`hostplane backup run --keep-*`).
 */
import type { Backup, BackupSchedule, Restore } from '../../api/resources.js'
import { type CronSchedule, isTimeZone, parseCron } from '../../backup/cron.js'
import { planSchedule } from '../../backup/schedule-plan.js'
import type { Applier } from '../../kube/apply.js'
import { type DesiredCondition, findCondition, kubeTime } from '../../kube/conditions.js'
import { writeConditionedStatus } from '../../kube/conditioned-status.js'
import type { ReconcileResult } from '../../kube/controller-builder.js'
import { type EventRecorder, recordConditionChanges } from '../../kube/events.js'
import { controllerReference } from '../../kube/object.js'
import { MANAGED_BY } from '../customer/names.js'
import { SCHEDULE_CONDITION, SCHEDULE_REASON } from './conditions.js'
import { isFinished } from './job-run.js'
import { BACKUP_SCHEDULES, BACKUPS, RESTORES } from './owned.js'
import { SCHEDULE_LABEL } from './reconcile.js'

/** Finished Backup objects kept per schedule. */
export const HISTORY = 10
/** The longest a schedule waits before it is looked at again (a clock that jumped). */
const MAX_WAIT_MS = 60 * 60_000

export interface BackupScheduleCache {
  schedule(key: string): BackupSchedule | undefined
  /** The Backups the schedule made (by label), any order. */
  backups(key: string): readonly Backup[]
  /** The drill Restores the schedule made (by label), any order. */
  drills(key: string): readonly Restore[]
}

export interface BackupScheduleReconcilerOptions {
  readonly cache: BackupScheduleCache
  readonly applier: Pick<Applier, 'create' | 'delete' | 'applyStatus'>
  readonly events: Pick<EventRecorder, 'record'>
  readonly countMissed: (runs: number) => void
  readonly recordSuccess: (schedule: BackupSchedule, time: Date | undefined) => void
  readonly recordVerified: (schedule: BackupSchedule, time: Date | undefined) => void
  readonly clock?: () => Date
}

const finished = isFinished
const newestFirst = (a: Backup | Restore, b: Backup | Restore) =>
  (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
  b.metadata.name.localeCompare(a.metadata.name)

/** `<schedule>-<yyyymmddhhmm>` of the scheduled time, in UTC: one name per run, so a run is made once. */
export const scheduledBackupName = (schedule: string, time: Date) =>
  `${schedule}-${time.toISOString().slice(0, 16).replace(/[-T:]/g, '')}`

export class BackupScheduleReconciler {
  constructor(private readonly options: BackupScheduleReconcilerOptions) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { cache, clock = () => new Date() } = this.options
    const schedule = cache.schedule(key)
    if (!schedule || schedule.metadata.deletionTimestamp) return 'none'
    const now = clock()
    let cron: CronSchedule
    let drillCron: CronSchedule
    try {
      if (!isTimeZone(schedule.spec.timeZone))
        throw new Error(`timeZone ${schedule.spec.timeZone} is not an IANA time zone`)
      cron = parseCron(schedule.spec.schedule)
      drillCron = parseCron(schedule.spec.drill.schedule)
    } catch (error) {
      const message = `${error instanceof Error ? error.message : String(error)}: fix spec.schedule, spec.drill.schedule or spec.timeZone`
      return this.writeStatus(
        schedule,
        {
          type: SCHEDULE_CONDITION.Scheduled,
          status: 'False',
          reason: SCHEDULE_REASON.InvalidSchedule,
          message,
        },
        {},
      )
    }
    const backups = [...cache.backups(key)].sort(newestFirst)
    const since = new Date(
      schedule.status?.lastScheduleTime ?? schedule.metadata.creationTimestamp ?? now.toISOString(),
    )
    const plan = planSchedule({
      cron,
      timeZone: schedule.spec.timeZone,
      startingDeadlineSeconds: schedule.spec.startingDeadlineSeconds,
      since,
      now,
    })
    const fields: Record<string, string | number> = { nextScheduleTime: kubeTime(plan.next) }
    let missed = schedule.spec.suspend ? 0 : plan.missed
    let wrote = false
    let created = false
    const running = backups.find((backup) => !finished(backup))
    if (plan.due) {
      fields.lastScheduleTime = kubeTime(plan.due)
      const name = scheduledBackupName(schedule.metadata.name, plan.due)
      if (schedule.spec.suspend) {
        // Not run and not missed: the tenant asked for no backups.
      } else if (backups.some((backup) => backup.metadata.name === name)) {
        // Made by a pass whose status write this cache has not seen yet.
        fields.lastBackup = name
      } else if (running) {
        missed += 1
      } else {
        await this.createBackup(schedule, name)
        wrote = true
        created = true
        fields.lastBackup = name
      }
    }
    if (missed > 0) {
      fields.missedRuns = (schedule.status?.missedRuns ?? 0) + missed
      fields.lastMissedTime = kubeTime(now)
      this.options.countMissed(missed)
    }
    const newestFinished = backups.find(finished)
    const newestSuccess = backups.find((backup) => backup.status?.phase === 'Succeeded')
    if (newestSuccess) {
      fields.lastSuccessfulBackup = newestSuccess.metadata.name
      if (newestSuccess.status?.completionTime) fields.lastSuccessTime = newestSuccess.status.completionTime
    }
    this.options.recordSuccess(
      schedule,
      newestSuccess?.status?.completionTime ? new Date(newestSuccess.status.completionTime) : undefined,
    )
    for (const old of backups.filter(finished).slice(HISTORY)) {
      await this.options.applier.delete({
        ...BACKUPS,
        namespace: old.metadata.namespace,
        name: old.metadata.name,
      })
      wrote = true
    }
    // Missed until a run starts after the miss was seen: a run made in the same pass does not clear it.
    const lastMissed = missed > 0 ? kubeTime(now) : schedule.status?.lastMissedTime
    const newestStart = created ? kubeTime(now) : backups[0]?.metadata.creationTimestamp
    const missing = lastMissed !== undefined && !(newestStart !== undefined && newestStart > lastMissed)
    const scheduled: DesiredCondition = schedule.spec.suspend
      ? {
          type: SCHEDULE_CONDITION.Scheduled,
          status: 'False',
          reason: SCHEDULE_REASON.Suspended,
          message: 'spec.suspend is true: no backups are taken',
        }
      : missing
        ? {
            type: SCHEDULE_CONDITION.Scheduled,
            status: 'False',
            reason: SCHEDULE_REASON.MissedSchedule,
            message: `${fields.missedRuns ?? schedule.status?.missedRuns ?? 0} scheduled runs did not run (the operator was down past the starting deadline, or the previous backup still ran); next at ${kubeTime(plan.next)}`,
          }
        : {
            type: SCHEDULE_CONDITION.Scheduled,
            status: 'True',
            reason: SCHEDULE_REASON.OnSchedule,
            message: `next at ${kubeTime(plan.next)}`,
          }
    const backedUp: DesiredCondition = newestFinished
      ? newestFinished.status?.phase === 'Succeeded'
        ? {
            type: SCHEDULE_CONDITION.BackedUp,
            status: 'True',
            reason: SCHEDULE_REASON.BackupSucceeded,
            message: `Backup ${newestFinished.metadata.name} succeeded`,
          }
        : {
            type: SCHEDULE_CONDITION.BackedUp,
            status: 'False',
            reason:
              findCondition(newestFinished.status?.conditions, 'Ready')?.reason ??
              SCHEDULE_REASON.BackupFailed,
            message: `Backup ${newestFinished.metadata.name}: ${findCondition(newestFinished.status?.conditions, 'Ready')?.message ?? 'failed'}`,
          }
      : {
          type: SCHEDULE_CONDITION.BackedUp,
          status: 'Unknown',
          reason: SCHEDULE_REASON.NoBackupYet,
          message: `the first backup runs at ${kubeTime(plan.due ?? plan.next)}`,
        }
    const drill = await this.drill(schedule, drillCron, newestSuccess, now)
    Object.assign(fields, drill.fields)
    wrote ||= drill.wrote
    const step = await this.writeStatus(schedule, scheduled, fields, backedUp, drill.verified)
    const next = Math.min(plan.next.getTime(), drill.next.getTime())
    const waitMs = Math.min(Math.max(next - now.getTime(), 1000), MAX_WAIT_MS)
    return { step: wrote ? 'applied' : step, requeueAfterMs: waitMs }
  }

  /** The drills: a new one when due, the Verified condition from the newest finished one. */
  private async drill(
    schedule: BackupSchedule,
    cron: CronSchedule,
    newestSuccess: Backup | undefined,
    now: Date,
  ) {
    const { cache, applier } = this.options
    const key = `${schedule.metadata.namespace}/${schedule.metadata.name}`
    const drills = [...cache.drills(key)].sort(newestFirst)
    const plan = planSchedule({
      cron,
      timeZone: schedule.spec.timeZone,
      startingDeadlineSeconds: schedule.spec.startingDeadlineSeconds,
      since: new Date(
        schedule.status?.lastDrillScheduleTime ?? schedule.metadata.creationTimestamp ?? now.toISOString(),
      ),
      now,
    })
    const fields: Record<string, string | number | Record<string, string>> = {}
    let wrote = false
    if (plan.due) {
      fields.lastDrillScheduleTime = kubeTime(plan.due)
      const name = scheduledBackupName(schedule.metadata.name, plan.due)
      if (
        !schedule.spec.drill.suspend &&
        newestSuccess &&
        !drills.some((drill) => !finished(drill) || drill.metadata.name === name)
      ) {
        await applier.create(
          { ...RESTORES, namespace: schedule.metadata.namespace },
          {
            apiVersion: RESTORES.apiVersion,
            kind: RESTORES.kind,
            metadata: {
              name,
              namespace: schedule.metadata.namespace,
              labels: { ...MANAGED_BY, [SCHEDULE_LABEL]: schedule.metadata.name },
              ownerReferences: [controllerReference(schedule)],
            },
            spec: { backup: newestSuccess.metadata.name, verify: true },
          },
        )
        fields.lastDrill = name
        wrote = true
      }
    }
    for (const old of drills.filter(finished).slice(HISTORY)) {
      await applier.delete({ ...RESTORES, namespace: old.metadata.namespace, name: old.metadata.name })
      wrote = true
    }
    const newestFinished = drills.find(finished)
    const newestPassed = drills.find((drill) => drill.status?.phase === 'Succeeded')
    const passedAt = newestPassed?.status?.completionTime
    if (newestPassed && passedAt)
      fields.lastVerifiedRestore = {
        time: passedAt,
        backup: newestPassed.spec.backup,
        restore: newestPassed.metadata.name,
      }
    this.options.recordVerified(schedule, passedAt ? new Date(passedAt) : undefined)
    const said = newestFinished && findCondition(newestFinished.status?.conditions, 'Ready')
    const verified: DesiredCondition = !newestFinished
      ? {
          type: SCHEDULE_CONDITION.Verified,
          status: 'Unknown',
          reason: SCHEDULE_REASON.NoDrillYet,
          message: `the first restore drill runs at ${kubeTime(plan.due ?? plan.next)}, once a Backup succeeded`,
        }
      : newestFinished.status?.phase === 'Succeeded'
        ? {
            type: SCHEDULE_CONDITION.Verified,
            status: 'True',
            reason: SCHEDULE_REASON.DrillPassed,
            message: `drill ${newestFinished.metadata.name} restored Backup ${newestFinished.spec.backup} and found everything it recorded`,
          }
        : {
            type: SCHEDULE_CONDITION.Verified,
            status: 'False',
            reason: SCHEDULE_REASON.DrillFailed,
            message: `drill ${newestFinished.metadata.name} of Backup ${newestFinished.spec.backup}: ${said?.message ?? 'failed'}`,
          }
    return { fields, wrote, verified, next: plan.next }
  }

  private async createBackup(schedule: BackupSchedule, name: string): Promise<void> {
    const { target, webspace, database } = schedule.spec
    await this.options.applier.create(
      { ...BACKUPS, namespace: schedule.metadata.namespace },
      {
        apiVersion: BACKUPS.apiVersion,
        kind: BACKUPS.kind,
        metadata: {
          name,
          namespace: schedule.metadata.namespace,
          labels: { ...MANAGED_BY, [SCHEDULE_LABEL]: schedule.metadata.name },
          ownerReferences: [controllerReference(schedule)],
        },
        spec: {
          ...(target ? { target } : {}),
          ...(webspace ? { webspace } : {}),
          ...(database ? { database } : {}),
        },
      },
    )
  }

  private async writeStatus(
    schedule: BackupSchedule,
    scheduled: DesiredCondition,
    fields: Readonly<Record<string, string | number | Record<string, string>>>,
    backedUp?: DesiredCondition,
    verified?: DesiredCondition,
  ): Promise<'none' | 'status'> {
    const { applier, clock = () => new Date() } = this.options
    const current = schedule.status
    const parts = [scheduled, ...(backedUp ? [backedUp] : []), ...(verified ? [verified] : [])]
    const failing = parts.find((part) => part.status === 'False')
    const ready: DesiredCondition =
      scheduled.status === 'True' && !failing
        ? {
            type: SCHEDULE_CONDITION.Ready,
            status: 'True',
            reason: SCHEDULE_REASON.Ready,
            message: scheduled.message,
          }
        : {
            type: SCHEDULE_CONDITION.Ready,
            status: 'False',
            reason: (failing ?? scheduled).reason,
            message: (failing ?? scheduled).message,
          }
    const written = await writeConditionedStatus(
      applier,
      BACKUP_SCHEDULES,
      schedule,
      [...parts, ready],
      fields,
      clock(),
    )
    if (written === 'none') return 'none'
    await recordConditionChanges(this.options.events, schedule, current?.conditions, parts, [
      SCHEDULE_CONDITION.Scheduled,
      SCHEDULE_CONDITION.BackedUp,
      SCHEDULE_CONDITION.Verified,
    ])
    return 'status'
  }
}
