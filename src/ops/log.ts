/** The structured logger every hostplane process uses: pino, JSON lines on stdout. */
import { Writable } from 'node:stream'
import { type Logger, pino } from 'pino'

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

export function createLogger(
  options: { name: string; level?: string } & Partial<{ destination: NodeJS.WritableStream }>,
): Logger {
  const settings = {
    name: options.name,
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
  }
  return options.destination ? pino(settings, options.destination) : pino(settings)
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
