/**
 * The structured logger every hostplane process uses: pino, JSON lines on stdout, or readable
 * lines when stdout is a terminal (a person running `hostplane serve`), since nobody reads JSON
 * by eye. `LOG_FORMAT=json` or `LOG_FORMAT=pretty` overrides the guess.
 */
import { Writable } from 'node:stream'
import { type Logger, pino } from 'pino'
import { formatLogLine } from './log-format.js'

export type { Logger }

/** Paths pino blanks out wherever they appear, so a credential that reaches a log line is not written. */
const REDACT = [
  'password',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-gitlab-token"]',
]

/** Where log lines go by default: JSON for collectors, formatted lines for a terminal. */
function defaultDestination(): { write(line: string): void } | undefined {
  const format = process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json')
  if (format !== 'pretty') return undefined
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR
  return { write: (line) => process.stdout.write(formatLogLine(line, { color })) }
}

export function createLogger(
  options: { name: string; level?: string } & Partial<{ destination: NodeJS.WritableStream }>,
): Logger {
  const settings = {
    name: options.name,
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
  }
  const destination = options.destination ?? defaultDestination()
  return destination ? pino(settings, destination) : pino(settings)
}

/** A logger that writes nothing, for tests and benchmarks that assert on other outputs. */
export const silentLogger = (): Logger => pino({ level: 'silent' })

/** A logger that keeps every line as a parsed object in `lines`, for tests that assert on logs. */
export function recordingLogger(level = 'info'): {
  readonly log: Logger
  readonly lines: Record<string, unknown>[]
} {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  return { lines, log: createLogger({ name: 'test', level, destination }) }
}
