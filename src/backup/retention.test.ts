import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type PointTime, pointsToForget } from './retention.js'

/** A point named by its time, e.g. `2019-09-01T11:00`. */
const point = (iso: string): PointTime => ({ id: iso, time: new Date(`${iso}Z`) })

/** One point a day at 03:00 UTC from `first` to `last` (ISO dates), oldest first. */
function daily(first: string, last: string): PointTime[] {
  const points: PointTime[] = []
  for (
    let day = new Date(`${first}T03:00Z`);
    day <= new Date(`${last}T03:00Z`);
    day.setUTCDate(day.getUTCDate() + 1)
  )
    points.push(point(day.toISOString().slice(0, 16)))
  return points
}

const keptIds = (retention: ReturnType<typeof pointsToForget>) => retention.kept.map((kept) => kept.id)

describe('pointsToForget keeps what restic forget --keep-* keeps', () => {
  it("restic's example: a backup every Sunday for 12 weeks, --keep-daily 4 keeps the last four", () => {
    const sundays = [
      '2019-09-01',
      '2019-09-08',
      '2019-09-15',
      '2019-09-22',
      '2019-09-29',
      '2019-10-06',
      '2019-10-13',
      '2019-10-20',
      '2019-10-27',
      '2019-11-03',
      '2019-11-10',
      '2019-11-17',
    ].map((day) => point(`${day}T11:00`))
    const retention = pointsToForget(sundays, { daily: 4 })
    assert.deepEqual(keptIds(retention), [
      '2019-11-17T11:00',
      '2019-11-10T11:00',
      '2019-11-03T11:00',
      '2019-10-27T11:00',
    ])
    assert.deepEqual(retention.kept[0]?.why, ['daily 2019-11-17'])
    assert.equal(retention.forget.length, 8)
    assert.equal(retention.forget.at(-1), '2019-09-01T11:00')
  })

  it("restic's example: daily backups, --keep-daily 7 --keep-weekly 5 --keep-monthly 12 keeps 7 dailies, the weeks' and the months' last", () => {
    // 7 December 2026 is a Monday: its week's newest is itself, the week before ends on Sunday 6 December.
    const retention = pointsToForget(daily('2024-01-01', '2026-12-07'), { daily: 7, weekly: 5, monthly: 12 })
    const days = (...list: string[]) => list.map((day) => `${day}T03:00`)
    assert.deepEqual(keptIds(retention), [
      ...days(
        '2026-12-07',
        '2026-12-06',
        '2026-12-05',
        '2026-12-04',
        '2026-12-03',
        '2026-12-02',
        '2026-12-01',
      ),
      ...days('2026-11-30', '2026-11-29', '2026-11-22', '2026-11-15'),
      ...days('2026-10-31', '2026-09-30', '2026-08-31', '2026-07-31', '2026-06-30', '2026-05-31'),
      ...days('2026-04-30', '2026-03-31', '2026-02-28', '2026-01-31'),
    ])
    assert.deepEqual(retention.kept[0]?.why, ['daily 2026-12-07', 'weekly 2026-W50', 'monthly 2026-12'])
    assert.deepEqual(retention.kept[1]?.why, ['daily 2026-12-06', 'weekly 2026-W49'])
    assert.deepEqual(retention.kept.find((kept) => kept.id === '2026-11-30T03:00')?.why, ['monthly 2026-11'])
    assert.equal(retention.forget.length + retention.kept.length, daily('2024-01-01', '2026-12-07').length)
  })

  it('keeps the newest point of each day: several a day, --keep-daily 2', () => {
    const points = [
      '2026-12-05T01:00',
      '2026-12-06T01:00',
      '2026-12-06T13:00',
      '2026-12-07T01:00',
      '2026-12-07T13:00',
    ].map(point)
    const retention = pointsToForget(points, { daily: 2 })
    assert.deepEqual(keptIds(retention), ['2026-12-07T13:00', '2026-12-06T13:00'])
    assert.deepEqual(retention.forget, ['2026-12-07T01:00', '2026-12-06T01:00', '2026-12-05T01:00'])
  })

  it('counts only days that have points: a gap of a week does not forget the older ones', () => {
    const points = ['2026-11-20T03:00', '2026-11-21T03:00', '2026-12-07T03:00'].map(point)
    assert.deepEqual(keptIds(pointsToForget(points, { daily: 3 })), [
      '2026-12-07T03:00',
      '2026-11-21T03:00',
      '2026-11-20T03:00',
    ])
  })

  it('keeps the N newest with last, and ORs it with the other rules', () => {
    const points = ['2026-12-05T01:00', '2026-12-06T01:00', '2026-12-07T01:00', '2026-12-07T02:00'].map(point)
    const retention = pointsToForget(points, { last: 2, daily: 2 })
    assert.deepEqual(retention.kept, [
      { id: '2026-12-07T02:00', why: ['last', 'daily 2026-12-07'] },
      { id: '2026-12-07T01:00', why: ['last'] },
      { id: '2026-12-06T01:00', why: ['daily 2026-12-06'] },
    ])
    assert.deepEqual(retention.forget, ['2026-12-05T01:00'])
  })

  it('reads days in the time zone: 23:30 UTC is already tomorrow in Berlin', () => {
    const points = ['2026-12-06T22:30', '2026-12-06T23:30'].map(point)
    assert.deepEqual(keptIds(pointsToForget(points, { daily: 2 })), ['2026-12-06T23:30'])
    assert.deepEqual(keptIds(pointsToForget(points, { daily: 2 }, 'Europe/Berlin')), [
      '2026-12-06T23:30',
      '2026-12-06T22:30',
    ])
  })

  it('uses ISO weeks: 31 December 2026 and 3 January 2027 are both in 2026-W53', () => {
    const points = ['2026-12-27T03:00', '2026-12-31T03:00', '2027-01-03T03:00'].map(point)
    const retention = pointsToForget(points, { weekly: 2 })
    assert.deepEqual(retention.kept, [
      { id: '2027-01-03T03:00', why: ['weekly 2026-W53'] },
      { id: '2026-12-27T03:00', why: ['weekly 2026-W52'] },
    ])
  })

  it('keeps the newest point of each month', () => {
    const points = ['2026-10-31T03:00', '2026-11-01T03:00', '2026-11-30T03:00', '2026-12-01T03:00'].map(point)
    assert.deepEqual(keptIds(pointsToForget(points, { monthly: 2 })), [
      '2026-12-01T03:00',
      '2026-11-30T03:00',
    ])
  })

  it('always keeps the newest point, whatever the rule', () => {
    const points = daily('2026-01-01', '2026-03-01')
    for (const policy of [{ last: 1 }, { daily: 1 }, { weekly: 1 }, { monthly: 1 }])
      assert.equal(keptIds(pointsToForget(points, policy))[0], '2026-03-01T03:00', JSON.stringify(policy))
  })

  it('keeps everything under a policy with no rule (zero counts no rule)', () => {
    const points = daily('2026-01-01', '2026-01-05')
    for (const policy of [{}, { daily: 0, last: 0 }]) {
      const retention = pointsToForget(points, policy)
      assert.deepEqual(retention.forget, [])
      assert.equal(retention.kept.length, 5)
      assert.deepEqual(retention.kept[0]?.why, ['no keep rule'])
    }
  })
})
