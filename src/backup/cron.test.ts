import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CRON_PATTERN, isTimeZone, nextAfter, parseCron, wallClock } from './cron.js'

/** The next `count` times of `schedule` after `after`, as ISO strings. */
function times(schedule: string, after: string, timeZone = 'UTC', count = 4): string[] {
  const cron = parseCron(schedule)
  const found: string[] = []
  let time = new Date(after)
  for (let i = 0; i < count; i++) {
    time = nextAfter(cron, time, timeZone)
    found.push(time.toISOString().replace('.000Z', 'Z'))
  }
  return found
}

describe('parseCron reads what a Kubernetes CronJob takes', () => {
  const read: [string, string, string, string[]][] = [
    ['every 15 minutes', '*/15 * * * *', '2026-01-01T00:07:00Z', ['00:15', '00:30', '00:45', '01:00']],
    ['a list and a range', '5,10-12 3 * * *', '2026-01-01T00:00:00Z', ['03:05', '03:10', '03:11', '03:12']],
    ['a stepped range', '1-10/4 0 * * *', '2026-01-01T00:00:00Z', ['00:01', '00:05', '00:09', '00:01']],
    [
      'a start with a step runs to the end (robfig/cron)',
      '50/5 0 * * *',
      '2026-01-01T00:00:00Z',
      ['00:50', '00:55', '00:50', '00:55'],
    ],
    [
      'a time strictly after the given one',
      '0 * * * *',
      '2026-01-01T03:00:00Z',
      ['04:00', '05:00', '06:00', '07:00'],
    ],
    [
      'a time within the given minute is passed',
      '* * * * *',
      '2026-01-01T03:00:30Z',
      ['03:01', '03:02', '03:03', '03:04'],
    ],
  ]
  for (const [name, schedule, after, expected] of read)
    it(`reads ${name}: ${schedule}`, () => {
      assert.deepEqual(
        times(schedule, after).map((t) => t.slice(11, 16)),
        expected,
      )
    })

  it('reads month and weekday names in any case, and 0 and 7 both as Sunday', () => {
    assert.deepEqual(
      { ...parseCron('0 0 * JAN-mar Mon-FRI'), text: '' },
      { ...parseCron('0 0 * 1-3 1-5'), text: '' },
    )
    assert.deepEqual([...parseCron('0 0 * * 7').daysOfWeek], [0])
    assert.deepEqual([...parseCron('0 0 * * 5-7').daysOfWeek].sort(), [0, 5, 6])
    assert.deepEqual(times('0 12 * * 7', '2026-12-01T00:00:00Z', 'UTC', 2), [
      '2026-12-06T12:00:00Z',
      '2026-12-13T12:00:00Z',
    ])
  })

  const macros: [string, string][] = [
    ['@yearly', '0 0 1 1 *'],
    ['@annually', '0 0 1 1 *'],
    ['@monthly', '0 0 1 * *'],
    ['@weekly', '0 0 * * 0'],
    ['@daily', '0 0 * * *'],
    ['@midnight', '0 0 * * *'],
    ['@HOURLY', '0 * * * *'],
  ]
  for (const [macro, fields] of macros)
    it(`reads ${macro} as ${fields}`, () => {
      assert.deepEqual({ ...parseCron(macro), text: fields }, parseCron(fields))
    })

  it('fires on either day when both day of month and day of week are restricted (Vixie cron)', () => {
    // 1 June 2026 is a Monday: the 1st, the 15th and every Monday.
    assert.deepEqual(times('0 0 1,15 * mon', '2026-06-01T00:00:00Z', 'UTC', 5), [
      '2026-06-08T00:00:00Z',
      '2026-06-15T00:00:00Z',
      '2026-06-22T00:00:00Z',
      '2026-06-29T00:00:00Z',
      '2026-07-01T00:00:00Z',
    ])
  })

  it('fires only on matching days when one day field is a star', () => {
    assert.deepEqual(times('0 0 13 * *', '2026-01-01T00:00:00Z', 'UTC', 2), [
      '2026-01-13T00:00:00Z',
      '2026-02-13T00:00:00Z',
    ])
    assert.deepEqual(times('0 0 * * fri', '2026-01-01T00:00:00Z', 'UTC', 2), [
      '2026-01-02T00:00:00Z',
      '2026-01-09T00:00:00Z',
    ])
    assert.equal(parseCron('0 0 ? * fri').eitherDay, false)
  })

  it('counts a star with a step as a restriction, as Kubernetes does: */2 OR Monday', () => {
    // 2 March 2026 is a Monday, 3 March odd (fires as day of month), 4 March even (neither).
    assert.equal(parseCron('0 0 */2 * mon').eitherDay, true)
    assert.equal(parseCron('0 0 */1 * mon').eitherDay, false)
    assert.deepEqual(times('0 0 */2 * mon', '2026-03-01T00:00:00Z', 'UTC', 3), [
      '2026-03-02T00:00:00Z',
      '2026-03-03T00:00:00Z',
      '2026-03-05T00:00:00Z',
    ])
  })

  it('finds 29 February in leap years only, and across 2100, which is not one', () => {
    assert.deepEqual(times('0 0 29 2 *', '2026-01-01T00:00:00Z', 'UTC', 3), [
      '2028-02-29T00:00:00Z',
      '2032-02-29T00:00:00Z',
      '2036-02-29T00:00:00Z',
    ])
    assert.deepEqual(times('0 0 29 2 *', '2096-03-01T00:00:00Z', 'UTC', 1), ['2104-02-29T00:00:00Z'])
  })

  it('answers at once for a rare schedule (no minute-by-minute search)', () => {
    const started = performance.now()
    times('59 23 29 2 *', '2096-03-01T00:00:00Z', 'Europe/Berlin', 1)
    times('0 0 13 * fri', '2026-01-01T00:00:00Z', 'America/New_York', 50)
    assert.ok(performance.now() - started < 1000)
  })
})

describe('nextAfter in a time zone', () => {
  it('fires at the wall time of the zone', () => {
    assert.deepEqual(times('0 3 * * *', '2026-01-10T00:00:00Z', 'Europe/Berlin', 1), ['2026-01-10T02:00:00Z'])
    assert.deepEqual(times('0 3 * * *', '2026-07-10T00:00:00Z', 'Europe/Berlin', 1), ['2026-07-10T01:00:00Z'])
  })

  it('skips a wall time that does not exist that day: Europe/Berlin springs from 02:00 to 03:00 on 29 March 2026', () => {
    assert.deepEqual(times('30 2 * * *', '2026-03-27T00:00:00Z', 'Europe/Berlin'), [
      '2026-03-27T01:30:00Z',
      '2026-03-28T01:30:00Z',
      '2026-03-30T00:30:00Z',
      '2026-03-31T00:30:00Z',
    ])
  })

  it('fires a wall time that happens twice once, at its first: Europe/Berlin falls back on 25 October 2026', () => {
    assert.deepEqual(times('30 2 * * *', '2026-10-24T00:00:00Z', 'Europe/Berlin', 3), [
      '2026-10-24T00:30:00Z',
      '2026-10-25T00:30:00Z',
      '2026-10-26T01:30:00Z',
    ])
  })

  it('runs each wall time of America/New_York’s repeated hour once (1 November 2026)', () => {
    assert.deepEqual(times('*/30 1-2 * * *', '2026-11-01T00:00:00Z', 'America/New_York', 5), [
      '2026-11-01T05:00:00Z',
      '2026-11-01T05:30:00Z',
      '2026-11-01T07:00:00Z',
      '2026-11-01T07:30:00Z',
      '2026-11-02T06:00:00Z',
    ])
    // Asked from inside the second pass of the hour, it does not run 01:30 again.
    assert.deepEqual(times('*/30 1-2 * * *', '2026-11-01T06:10:00Z', 'America/New_York', 1), [
      '2026-11-01T07:00:00Z',
    ])
  })

  it('skips America/New_York’s missing hour (8 March 2026) and keeps the hourly rhythm around it', () => {
    assert.deepEqual(times('0 * * * *', '2026-03-08T05:30:00Z', 'America/New_York', 3), [
      '2026-03-08T06:00:00Z',
      '2026-03-08T07:00:00Z',
      '2026-03-08T08:00:00Z',
    ])
    assert.deepEqual(times('15 2 * * *', '2026-03-07T00:00:00Z', 'America/New_York', 2), [
      '2026-03-07T07:15:00Z',
      '2026-03-09T06:15:00Z',
    ])
  })
})

describe('parseCron says what is wrong', () => {
  const refused: [string, string][] = [
    ['60 * * * *', 'minute: "60" is not a number from 0 to 59'],
    ['* 24 * * *', 'hour: "24" is not a number from 0 to 23'],
    ['* * 0 * *', 'day-of-month: "0" is not a number from 1 to 31'],
    ['* * * 13 *', 'month: "13" is not a number from 1 to 12 or a name jan…dec'],
    ['* * * foo *', 'month: "foo" is not a number from 1 to 12 or a name jan…dec'],
    ['* * * * 8', 'day-of-week: "8" is not a number from 0 to 7 or a name sun…sat'],
    ['1-x * * * *', 'minute: "x" in "1-x" is not a number from 0 to 59'],
    ['-5 * * * *', 'minute: "" in "-5" is not a number from 0 to 59'],
    ['*/0 * * * *', 'minute: the step in "*/0" is not a whole number of at least 1'],
    ['*/x * * * *', 'minute: the step in "*/x" is not a whole number of at least 1'],
    ['1/2/3 * * * *', 'minute: "1/2/3" has more than one /'],
    ['1-2-3 * * * *', 'minute: "1-2-3" is not a range such as 1-5'],
    ['5-1 * * * *', 'minute: the range "5-1" ends before it starts'],
    ['1,,2 * * * *', 'minute: "1,,2" has an empty list item'],
    [
      '* * * *',
      'a schedule has 5 fields (minute hour day-of-month month day-of-week) or is an @ macro such as @daily; "* * * *" has 4',
    ],
    [
      '0 0 * * * *',
      'a schedule has 5 fields (minute hour day-of-month month day-of-week) or is an @ macro such as @daily; "0 0 * * * *" has 6',
    ],
    [
      '@every 5m',
      '"@every 5m" is not one of the macros @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly',
    ],
    ['0 0 30 2 *', '"0 0 30 2 *" never fires: February has no day 30'],
    ['0 0 31 apr,jun *', '"0 0 31 apr,jun *" never fires: April, June have no day 31'],
  ]
  for (const [schedule, message] of refused)
    it(`refuses ${schedule}`, () => {
      assert.throws(() => parseCron(schedule), { message })
    })

  it('accepts a day that exists in one of the months, or an impossible day saved by a weekday', () => {
    assert.doesNotThrow(() => parseCron('0 0 31 2,3 *'))
    assert.doesNotThrow(() => parseCron('0 0 30 2 mon'))
  })
})

describe('CRON_PATTERN', () => {
  const pattern = new RegExp(CRON_PATTERN)
  it('lets through what parseCron may read', () => {
    for (const text of ['*/15 * * * *', '0 3 * jan-mar MON-fri', '@daily', '0 0 ? * 7', ' 1,2 3-4/2 * * * '])
      assert.ok(pattern.test(text), text)
  })
  it('refuses obvious garbage', () => {
    for (const text of [
      '',
      'daily',
      '* * * *',
      '* * * * * *',
      '@every 1h',
      '0 0 * * *; rm -rf /',
      '0 0 * * mon!',
    ])
      assert.ok(!pattern.test(text), text)
  })
})

describe('isTimeZone', () => {
  it('accepts IANA names, spelled as the zone database spells them', () => {
    for (const name of [
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'America/Argentina/Buenos_Aires',
      'Etc/GMT+1',
    ])
      assert.ok(isTimeZone(name), name)
  })
  it('refuses unknown names, other spellings, offsets and Local', () => {
    for (const name of ['Nowhere/City', 'europe/berlin', '+01:00', 'Local', '', '../etc/passwd'])
      assert.ok(!isTimeZone(name), name)
  })
})

describe('nextAfter agrees with a minute-by-minute search', () => {
  /** The first whole minute after `after` whose wall clock matches and did not happen in the 3 hours before. */
  function bruteForce(schedule: string, after: Date, timeZone: string, minutes: number): number | undefined {
    const cron = parseCron(schedule)
    const start = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000
    for (let instant = start; instant < start + minutes * 60_000; instant += 60_000) {
      const wall = new Date(wallClock(instant, timeZone))
      const dom = cron.daysOfMonth.has(wall.getUTCDate())
      const dow = cron.daysOfWeek.has(wall.getUTCDay())
      const matches =
        cron.minutes.includes(wall.getUTCMinutes()) &&
        cron.hours.includes(wall.getUTCHours()) &&
        cron.months.has(wall.getUTCMonth() + 1) &&
        (cron.eitherDay ? dom || dow : dom && dow)
      const repeated = (back: number) => wallClock(instant - back * 60_000, timeZone) === wall.getTime()
      if (matches && ![60, 120, 180].some(repeated)) return instant
    }
    return undefined
  }

  /** A small deterministic generator, so a failure can be replayed. */
  let seed = 18
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  const pick = (options: readonly string[]) => options[random(options.length)] ?? '*'

  it('on 80 random schedules and start times around the DST changes of Europe/Berlin and America/New_York', () => {
    for (let i = 0; i < 80; i++) {
      const schedule = [
        pick(['*/15', '0', '30', '5,35', '0-10/5', '*/7']),
        pick(['*', '1-3', '2', '*/6', '0,12', '22-23']),
        pick(['*', '*', '1,15', '8', '25-31']),
        '*',
        pick(['*', '*', 'sun', 'mon-fri', '0,6']),
      ].join(' ')
      const timeZone = pick(['UTC', 'Europe/Berlin', 'America/New_York'])
      const around = pick([
        '2026-03-08T00:00:00Z',
        '2026-03-29T00:00:00Z',
        '2026-10-25T00:00:00Z',
        '2026-11-01T00:00:00Z',
      ])
      const after = new Date(new Date(around).getTime() + random(48 * 60) * 60_000 + random(60) * 1000)
      const expected = bruteForce(schedule, after, timeZone, 2 * 24 * 60)
      const found = nextAfter(parseCron(schedule), after, timeZone).getTime()
      if (expected === undefined)
        assert.ok(found >= after.getTime() + 2 * 24 * 3600_000, `${schedule} ${timeZone}`)
      else
        assert.equal(
          new Date(found).toISOString(),
          new Date(expected).toISOString(),
          `${schedule} ${timeZone} after ${after.toISOString()}`,
        )
    }
  })
})
