/**
 * A BackupSchedule's `schedule`: standard five-field cron as a Kubernetes CronJob takes it
 * (minute hour day-of-month month day-of-week, or one of the @ macros), read once into sets, and
 * the next time it fires in an IANA time zone. Pure: no clock, no timers.
 *
 * - Day of month and day of week: when both are restricted, a day matching either one fires
 *   (Vixie cron). A field is unrestricted when it is `*` or `?`; like Kubernetes (robfig/cron),
 *   a star with a step of 2 or more counts as restricted.
 * - Weekday 0 and 7 are both Sunday; month and weekday names are read case-insensitively.
 * - Time zones: a wall time that does not exist on a day (a DST gap) is skipped that day; a wall
 *   time that happens twice (an overlap) fires once, at its first occurrence.
 * - A schedule that can never fire (`0 0 30 2 *`) is refused when it is read, so looking for its
 *   next time never searches in vain.
 */

export interface CronSchedule {
  /** The text as given, trimmed. */
  readonly text: string
  readonly minutes: readonly number[]
  readonly hours: readonly number[]
  readonly daysOfMonth: ReadonlySet<number>
  readonly months: ReadonlySet<number>
  /** 0 (Sunday) to 6. */
  readonly daysOfWeek: ReadonlySet<number>
  /** Both day fields are restricted: a day matching either fires. */
  readonly eitherDay: boolean
}

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
const MONTH_TITLES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

interface Field {
  readonly name: string
  readonly min: number
  readonly max: number
  /** Names for min, min + 1, … */
  readonly names?: readonly string[]
}

const FIELD = {
  minute: { name: 'minute', min: 0, max: 59 },
  hour: { name: 'hour', min: 0, max: 23 },
  dayOfMonth: { name: 'day-of-month', min: 1, max: 31 },
  month: { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  // 7 is Sunday too; folded into 0 once read.
  dayOfWeek: { name: 'day-of-week', min: 0, max: 7, names: WEEKDAY_NAMES },
} as const satisfies Record<string, Field>

/**
 * A coarse check for a CRD schema's `pattern`: five fields of cron characters, or an @ macro.
 * It refuses obvious garbage; parseCron says what is wrong with the rest.
 */
export const CRON_PATTERN =
  '^\\s*(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9A-Za-z*?,/-]+(\\s+[0-9A-Za-z*?,/-]+){4})\\s*$'

const fieldError = (field: Field, message: string) => new Error(`${field.name}: ${message}`)

function allowed(field: Field): string {
  const range = `a number from ${field.min} to ${field.max}`
  const names = field.names
  return names ? `${range} or a name ${names[0]}…${names.at(-1)}` : range
}

/** The number `text` stands for; `item` is the list item it is part of, for the message. */
function value(field: Field, text: string, item: string): number {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1
  if (named >= 0) return field.min + named
  const number = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(number >= field.min && number <= field.max))
    throw fieldError(
      field,
      `${JSON.stringify(text)}${text === item ? '' : ` in ${JSON.stringify(item)}`} is not ${allowed(field)}`,
    )
  return number
}

/** One field's values and whether it restricts anything. */
function parseField(field: Field, text: string): { values: Set<number>; restricted: boolean } {
  const values = new Set<number>()
  let restricted = true
  for (const item of text.split(',')) {
    if (!item) throw fieldError(field, `${JSON.stringify(text)} has an empty list item`)
    const [range = '', stepText, ...extra] = item.split('/')
    if (extra.length > 0) throw fieldError(field, `${JSON.stringify(item)} has more than one /`)
    const step = stepText === undefined ? 1 : /^\d+$/.test(stepText) ? Number(stepText) : 0
    if (step < 1)
      throw fieldError(field, `the step in ${JSON.stringify(item)} is not a whole number of at least 1`)
    let start: number
    let end: number
    if (range === '*' || range === '?') {
      ;[start, end] = [field.min, field.max]
      // robfig/cron (Kubernetes): a star (or a star with step 1) leaves the field unrestricted.
      if (step === 1) restricted = false
      if (field === FIELD.dayOfWeek) end = 6
    } else {
      const [low = '', high, ...more] = range.split('-')
      if (more.length > 0) throw fieldError(field, `${JSON.stringify(item)} is not a range such as 1-5`)
      start = value(field, low, item)
      // `5/15` means from 5 to the end, as in robfig/cron.
      end = high !== undefined ? value(field, high, item) : stepText !== undefined ? field.max : start
      if (end < start) throw fieldError(field, `the range ${JSON.stringify(range)} ends before it starts`)
    }
    for (let v = start; v <= end; v += step) values.add(field === FIELD.dayOfWeek ? v % 7 : v)
  }
  return { values, restricted }
}

/** February may have 29 days: a day that fits no month of the schedule never comes. */
const LONGEST_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Reads a schedule; throws an Error saying which field and value is wrong and what it accepts. */
export function parseCron(text: string): CronSchedule {
  const trimmed = text.trim()
  let expanded = trimmed
  if (trimmed.startsWith('@')) {
    const macro = MACROS[trimmed.toLowerCase()]
    if (!macro)
      throw new Error(`${JSON.stringify(trimmed)} is not one of the macros ${Object.keys(MACROS).join(', ')}`)
    expanded = macro
  }
  const texts = expanded.split(/\s+/).filter(Boolean)
  if (texts.length !== 5)
    throw new Error(
      `a schedule has 5 fields (minute hour day-of-month month day-of-week) or is an @ macro such as @daily; ${JSON.stringify(trimmed)} has ${texts.length}`,
    )
  const [minuteText = '', hourText = '', domText = '', monthText = '', dowText = ''] = texts
  const minute = parseField(FIELD.minute, minuteText)
  const hour = parseField(FIELD.hour, hourText)
  const dom = parseField(FIELD.dayOfMonth, domText)
  const month = parseField(FIELD.month, monthText)
  const dow = parseField(FIELD.dayOfWeek, dowText)
  const eitherDay = dom.restricted && dow.restricted
  if (!dow.restricted || !dom.restricted) {
    const months = [...month.values].sort((a, b) => a - b)
    const days = [...dom.values].sort((a, b) => a - b)
    const firstDay = days[0] ?? 1
    if (months.every((m) => firstDay > (LONGEST_MONTH[m - 1] ?? 31)))
      throw new Error(
        `${JSON.stringify(trimmed)} never fires: ${months.map((m) => MONTH_TITLES[m - 1]).join(', ')} ${
          months.length > 1 ? 'have' : 'has'
        } no day ${days.join(', ')}`,
      )
  }
  const sorted = (values: Set<number>) => [...values].sort((a, b) => a - b)
  return {
    text: trimmed,
    minutes: sorted(minute.values),
    hours: sorted(hour.values),
    daysOfMonth: dom.values,
    months: month.values,
    daysOfWeek: dow.values,
    eitherDay,
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, format)
  }
  return format
}

/**
 * An IANA time zone name this runtime knows, spelled as the zone database spells it (Kubernetes
 * loads it as a file name, so `europe/berlin` is refused there and here).
 */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name) || name.length > 255) return false
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
    return resolved.toLowerCase() !== name.toLowerCase() || resolved === name
  } catch {
    return false
  }
}

/** The wall clock of `instant` in `timeZone`, as milliseconds of a UTC date with the same fields. */
export function wallClock(instant: number, timeZone: string): number {
  const fields: Record<string, number> = {}
  for (const part of formatter(timeZone).formatToParts(instant))
    if (part.type !== 'literal') fields[part.type] = Number(part.value)
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = fields
  return Date.UTC(year, month - 1, day, hour, minute, second) + (((instant % 1000) + 1000) % 1000)
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/**
 * The first instant whose wall clock in `timeZone` is `wall`, or undefined when that wall time
 * does not exist (a DST gap). Offsets change at most once around a wall time, so the offsets a
 * day before and after are the only candidates.
 */
function firstInstantOf(wall: number, timeZone: string): number | undefined {
  const offsets = new Set([wall - DAY, wall + DAY].map((probe) => wallClock(probe, timeZone) - probe))
  const instants = [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => wallClock(instant, timeZone) === wall)
    .sort((a, b) => a - b)
  return instants[0]
}

/** Longer than the longest wait of a schedule parseCron accepts (29 February after 2096: 2104). */
const SEARCH_DAYS = 9 * 366

/** The first time `cron` fires strictly after `after`, in IANA time zone `timeZone`. */
export function nextAfter(cron: CronSchedule, after: Date, timeZone = 'UTC'): Date {
  const from = wallClock(after.getTime(), timeZone)
  const fromMinute = Math.floor(from / MINUTE) * MINUTE
  let day = Math.floor(from / DAY) * DAY
  for (let searched = 0; searched < SEARCH_DAYS; searched++, day += DAY) {
    const date = new Date(day)
    if (!cron.months.has(date.getUTCMonth() + 1)) {
      // On to the first of the next month.
      day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) - DAY
      continue
    }
    const domMatches = cron.daysOfMonth.has(date.getUTCDate())
    const dowMatches = cron.daysOfWeek.has(date.getUTCDay())
    if (cron.eitherDay ? !domMatches && !dowMatches : !domMatches || !dowMatches) continue
    for (const hour of cron.hours) {
      if (day + (hour + 1) * HOUR <= fromMinute) continue
      for (const minute of cron.minutes) {
        const wall = day + hour * HOUR + minute * MINUTE
        if (wall < fromMinute) continue
        const instant = firstInstantOf(wall, timeZone)
        if (instant !== undefined && instant > after.getTime()) return new Date(instant)
      }
    }
  }
  throw new Error(
    `${JSON.stringify(cron.text)} does not fire within ${SEARCH_DAYS} days of ${after.toISOString()}`,
  )
}
