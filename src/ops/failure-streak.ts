/**
 * Logs a failure that repeats, such as a retry loop during an API server outage, once instead
 * of at every attempt: the first failure is one warning line with the error's message (no stack
 * trace), the following ones go to debug, and when it works again one info line says so and
 * how many attempts failed.
 */
import type { Logger } from './log.js'

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

export class FailureStreak {
  private failures = 0

  /** `fields` name what fails (e.g. `{ lease: 'hostplane' }`) in every line. */
  constructor(
    private readonly log: Logger,
    private readonly fields: Readonly<Record<string, unknown>>,
  ) {}

  get failing(): boolean {
    return this.failures > 0
  }

  failed(error: unknown, message: string, extra: Readonly<Record<string, unknown>> = {}): void {
    this.failures++
    const line = { ...this.fields, ...extra, error: messageOf(error), failures: this.failures }
    if (this.failures === 1) this.log.warn(line, message)
    else this.log.debug(line, message)
  }

  succeeded(message: string): void {
    if (this.failures === 0) return
    this.log.info({ ...this.fields, failures: this.failures }, message)
    this.failures = 0
  }
}
