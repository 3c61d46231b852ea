/**
 * The HTTP app of a control endpoint (probes, metrics, webhooks, manual syncs). It logs through
 * the process logger but not every request: probes and scrapes would flood the log, and the
 * handlers log what they matched themselves. Bodies are bounded to 1 MiB (webhook payloads).
 * Clients that half-close after their request get the answer (half-closed-clients.ts).
 */
import Fastify, { LogController } from 'fastify'
import { answerHalfClosedClients } from './half-closed-clients.js'
import type { Logger } from './log.js'

export function controlServer(log: Logger) {
  const app = Fastify({
    loggerInstance: log,
    bodyLimit: 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
  })
  answerHalfClosedClients(app.server)
  return app
}
