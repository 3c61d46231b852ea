/**
 * One pino JSON line → one line a person reads on a terminal: time, level, message, then the
 * other fields as key=value. Kept here rather than taking pino-pretty, whose dependencies weigh
 * more than the whole logger; machines (not a terminal) still get the JSON lines unchanged.
 */

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO', color: '32' },
  40: { name: 'WARN', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
}

/** pino's own bookkeeping fields: shown in the prefix or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v'])

const paint = (color: boolean, code: string, text: string) =>
  color ? `\u001b[${code}m${text}\u001b[0m` : text

function value(field: unknown): string {
  if (typeof field === 'string') return /^[^\s"=]+$/.test(field) ? field : JSON.stringify(field)
  return JSON.stringify(field) ?? String(field)
}

/** Formats one JSON log line; a line that is not a JSON object is passed through as it is. */
export function formatLogLine(line: string, { color }: { color: boolean }): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`
  }
  if (typeof entry !== 'object' || entry === null) return `${line.trimEnd()}\n`
  const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level), color: '0' }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : ''
  const err = entry.err as { stack?: string; message?: string } | undefined
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, field]) => `${paint(color, '90', `${key}=`)}${value(key === 'err' ? err?.message : field)}`)
  const parts = [
    paint(color, '90', time),
    paint(color, level.color, level.name.padEnd(5)),
    String(entry.msg ?? ''),
  ]
  if (fields.length > 0) parts.push(fields.join(' '))
  const text = parts.filter(Boolean).join(' ')
  // A warning's message says enough; for an error the stack is what a developer acts on.
  const stack = Number(entry.level) >= 50 ? err?.stack : undefined
  return stack ? `${text}\n    ${stack.split('\n').join('\n    ')}\n` : `${text}\n`
}
