import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCron } from './cron.js'
import { MAX_MISSED, planSchedule, type SchedulePlan } from './schedule-plan.js'

const at = (iso: string) => new Date(iso)

/** The plan of `schedule` (UTC unless given) with dates as ISO strings, for deepEqual. */
function plan(
  schedule: string,
  since: string,
  now: string,
  options: { startingDeadlineSeconds?: number; timeZone?: string } = {},
): { due?: string; missed: number; next: string } {
  const decided: SchedulePlan = planSchedule({
    cron: parseCron(schedule),
    timeZone: options.timeZone ?? 'UTC',
    startingDeadlineSeconds: options.startingDeadlineSeconds,
    since: at(since),
    now: at(now),
  })
  return {
    ...(decided.due ? { due: decided.due.toISOString() } : {}),
    missed: decided.missed,
    next: decided.next.toISOString(),
  }
}

describe('planSchedule decides what a schedule controller does now', () => {
  it('has nothing due before the first time, and says when to look again', () => {
    assert.deepEqual(plan('0 3 * * *', '2026-12-07T01:00:00Z', '2026-12-07T02:59:59Z'), {
      missed: 0,
      next: '2026-12-07T03:00:00.000Z',
    })
  })

  it('makes the time that just passed due, once: the last run at it leaves nothing due', () => {
    assert.deepEqual(plan('0 3 * * *', '2026-12-06T03:00:00Z', '2026-12-07T03:00:05Z'), {
      due: '2026-12-07T03:00:00.000Z',
      missed: 0,
      next: '2026-12-08T03:00:00.000Z',
    })
    assert.deepEqual(plan('0 3 * * *', '2026-12-07T03:00:00Z', '2026-12-07T03:00:10Z'), {
      missed: 0,
      next: '2026-12-08T03:00:00.000Z',
    })
  })

  it('counts the earlier times as missed when several passed (the controller was down three days)', () => {
    assert.deepEqual(plan('0 3 * * *', '2026-12-04T03:00:00Z', '2026-12-07T04:00:00Z'), {
      due: '2026-12-07T03:00:00.000Z',
      missed: 2,
      next: '2026-12-08T03:00:00.000Z',
    })
  })

  it('misses the most recent time too when it is past the starting deadline', () => {
    assert.deepEqual(
      plan('0 3 * * *', '2026-12-06T03:00:00Z', '2026-12-07T03:10:00Z', { startingDeadlineSeconds: 300 }),
      { missed: 1, next: '2026-12-08T03:00:00.000Z' },
    )
    assert.deepEqual(
      plan('0 3 * * *', '2026-12-06T03:00:00Z', '2026-12-07T03:05:00Z', { startingDeadlineSeconds: 300 }),
      { due: '2026-12-07T03:00:00.000Z', missed: 0, next: '2026-12-08T03:00:00.000Z' },
    )
  })

  it('counts from the creation time when the schedule never ran', () => {
    assert.deepEqual(plan('*/10 * * * *', '2026-12-07T00:05:00Z', '2026-12-07T00:31:00Z'), {
      due: '2026-12-07T00:30:00.000Z',
      missed: 2,
      next: '2026-12-07T00:40:00.000Z',
    })
  })

  it(`counts at most ${MAX_MISSED} missed, and still finds the most recent time of a schedule stopped for a year`, () => {
    const started = performance.now()
    assert.deepEqual(plan('* * * * *', '2025-12-07T00:00:00Z', '2026-12-07T12:34:56Z'), {
      due: '2026-12-07T12:34:00.000Z',
      missed: MAX_MISSED,
      next: '2026-12-07T12:35:00.000Z',
    })
    assert.ok(performance.now() - started < 1000)
  })

  it('goes by the wall clock of the time zone', () => {
    assert.deepEqual(
      plan('0 3 * * *', '2026-12-06T02:00:00Z', '2026-12-07T02:30:00Z', { timeZone: 'Europe/Berlin' }),
      { due: '2026-12-07T02:00:00.000Z', missed: 0, next: '2026-12-08T02:00:00.000Z' },
    )
  })

  it('does not count a wall time that did not exist as missed (Europe/Berlin, 29 March 2026)', () => {
    assert.deepEqual(
      plan('30 2 * * *', '2026-03-28T01:30:00Z', '2026-03-29T12:00:00Z', { timeZone: 'Europe/Berlin' }),
      { missed: 0, next: '2026-03-30T00:30:00.000Z' },
    )
  })
})
