import type { Logger } from '../ops/log.js'

/** On the first SIGTERM or SIGINT: stop gracefully, then exit 0 (1 when stopping failed). */
export function stopOnSignal(log: Logger, stop: () => Promise<void>): void {
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down')
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
}
