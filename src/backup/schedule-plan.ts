/**
 * What a BackupSchedule's controller decides on each look, pure (like the Kubernetes CronJob
 * controller's getMostRecentScheduleTime): of the scheduled times since the last run, the most
 * recent one is due unless it is past the starting deadline; every other one is missed, and
 * counted, so that a missed run becomes a condition, an Event and a metric rather than nothing.
 */
import { type CronSchedule, nextAfter } from './cron.js'

/** Missed runs are counted up to this many; a schedule stopped for a year does not count for long. */
export const MAX_MISSED = 100

export interface ScheduleInput {
  readonly cron: CronSchedule
  readonly timeZone: string
  /** A scheduled time more than this late does not run (and counts as missed). */
  readonly startingDeadlineSeconds?: number
  /** The last scheduled time that ran, or when none the schedule's creation time. */
  readonly since: Date
  readonly now: Date
}

export interface SchedulePlan {
  /** The most recent scheduled time at or before now that has not run, if still within the deadline. */
  readonly due?: Date
  /** Scheduled times after `since` that will not run (at most MAX_MISSED). */
  readonly missed: number
  /** The first scheduled time after now: when to look again. */
  readonly next: Date
}

/**
 * The last time of `cron` in (`since`, `now`], found by halving the interval (a schedule stopped
 * for a year is not walked minute by minute). nextAfter is monotonic, and times fall on whole
 * minutes, so once the interval is a minute long the time after its start is the one.
 */
function mostRecent(cron: CronSchedule, timeZone: string, since: Date, now: Date): Date | undefined {
  const firesBy = (after: number) => nextAfter(cron, new Date(after), timeZone) <= now
  let low = since.getTime()
  if (!firesBy(low)) return undefined
  // A time in (low, now], none in (high, now].
  let high = now.getTime()
  while (high - low > 60_000) {
    const middle = Math.floor((low + high) / 2)
    if (firesBy(middle)) low = middle
    else high = middle
  }
  return nextAfter(cron, new Date(low), timeZone)
}

export function planSchedule(input: ScheduleInput): SchedulePlan {
  const { cron, timeZone, since, now } = input
  const next = nextAfter(cron, now, timeZone)
  const last = mostRecent(cron, timeZone, since, now)
  if (!last) return { missed: 0, next }
  // Counted by walking, so at most MAX_MISSED + 1 steps.
  let passed = 0
  for (let time = since; passed <= MAX_MISSED; passed++) {
    time = nextAfter(cron, time, timeZone)
    if (time > now) break
  }
  const late = now.getTime() - last.getTime()
  const inTime = input.startingDeadlineSeconds === undefined || late <= input.startingDeadlineSeconds * 1000
  return {
    ...(inTime ? { due: last } : {}),
    missed: Math.min(MAX_MISSED, passed - (inTime ? 1 : 0)),
    next,
  }
}
