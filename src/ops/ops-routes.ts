/**
 * Liveness, readiness and Prometheus metrics for every long-running hostplane process, as one
 * fastify plugin so the operator, the syncer and `hostplane serve` answer them the same way.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'

export interface OpsRoutesOptions {
  readonly registry: Registry
  /** Ready to do its job (e.g. caches synced, leader or standby decided). */
  readonly ready: () => boolean | Promise<boolean>
  /** Alive: false only when the process should be restarted. Default: always alive. */
  readonly live?: () => boolean
}

export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (
  app,
  { registry, ready, live = () => true },
) => {
  app.get('/healthz', async (_request, reply) => (live() ? 'ok\n' : reply.code(503).send('unhealthy\n')))
  app.get('/readyz', async (_request, reply) =>
    (await ready()) ? 'ok\n' : reply.code(503).send('not ready\n'),
  )
  app.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  )
}
