/**
 * Which restore points a BackupSchedule's retention forgets, pure, with restic's `forget --keep-*`
 * semantics (restic's ApplyPolicy): newest first, each rule keeps the newest point of each of its
 * N most recent periods that have points (`last`: the N newest points); a point any rule keeps is
 * kept; a policy with no rule keeps everything. Periods are calendar days, ISO weeks (Monday to
 * Sunday) and months of the schedule's time zone. The newest point is kept by every rule, so a
 * policy with a rule never forgets it.
 */
import { wallClock } from './cron.js'

export interface RetentionPolicy {
  readonly last?: number
  readonly daily?: number
  readonly weekly?: number
  readonly monthly?: number
}

export interface PointTime {
  readonly id: string
  readonly time: Date
}

export interface Retention {
  /** Ids of the points to forget, newest first. */
  readonly forget: readonly string[]
  /** The points kept, newest first, each with the rules that keep it (e.g. `daily 2026-12-07`). */
  readonly kept: readonly { readonly id: string; readonly why: readonly string[] }[]
}

/** `2026-W49`: the ISO 8601 week of a wall-clock date (its Thursday's year). */
function isoWeek(wall: Date): string {
  const thursday = new Date(wall.getTime())
  thursday.setUTCDate(wall.getUTCDate() + 3 - ((wall.getUTCDay() + 6) % 7))
  const year = thursday.getUTCFullYear()
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 / 7) + 1
  return `${year}-W${String(week).padStart(2, '0')}`
}

type Rule = keyof RetentionPolicy

/** Each rule's period of a point; `last` gives every point a period of its own. */
const PERIOD: Record<Rule, (wall: Date, index: number) => string> = {
  last: (_wall, index) => String(index),
  daily: (wall) => wall.toISOString().slice(0, 10),
  weekly: isoWeek,
  monthly: (wall) => wall.toISOString().slice(0, 7),
}

export function pointsToForget(
  points: readonly PointTime[],
  policy: RetentionPolicy,
  timeZone = 'UTC',
): Retention {
  const newestFirst = [...points].sort((a, b) => b.time.getTime() - a.time.getTime())
  const rules = (Object.keys(PERIOD) as Rule[]).filter((rule) => (policy[rule] ?? 0) > 0)
  if (rules.length === 0)
    return { forget: [], kept: newestFirst.map(({ id }) => ({ id, why: ['no keep rule'] })) }
  const left = new Map(rules.map((rule) => [rule, policy[rule] ?? 0]))
  const lastPeriod = new Map<Rule, string>()
  const forget: string[] = []
  const kept: { id: string; why: string[] }[] = []
  newestFirst.forEach((point, index) => {
    const wall = new Date(wallClock(point.time.getTime(), timeZone))
    const why: string[] = []
    for (const rule of rules) {
      const period = PERIOD[rule](wall, index)
      if ((left.get(rule) ?? 0) === 0 || lastPeriod.get(rule) === period) continue
      lastPeriod.set(rule, period)
      left.set(rule, (left.get(rule) ?? 0) - 1)
      why.push(rule === 'last' ? 'last' : `${rule} ${period}`)
    }
    if (why.length > 0) kept.push({ id: point.id, why })
    else forget.push(point.id)
  })
  return { forget, kept }
}
