/**
 * `hostplane mirror` as one service: the replica's publish store (recovered from any interrupted
 * run), the follower, and /healthz, /readyz (once caught up) and /metrics on one listener.
 */
import { collectDefaultMetrics, Registry } from 'prom-client'
import { controlServer } from '../ops/control-server.js'
import type { Logger } from '../ops/log.js'
import { opsRoutes } from '../ops/ops-routes.js'
import { PublishStore } from '../syncer/publish-store.js'
import type { SiteLimits } from '../syncer/tree-filter.js'
import { FeedClient } from './feed-client.js'
import { MirrorFollower } from './mirror-follower.js'
import { MirrorMetrics } from './mirror-metrics.js'

export interface MirrorServiceConfig {
  readonly syncerUrl: string
  readonly token: string
  /** This replica's own sites root, the directory its nginx serves. */
  readonly sitesRoot: string
  readonly listen: { readonly host: string; readonly port: number }
  /** Revisions kept per site here, the served one included. */
  readonly keep: number
  readonly limits: SiteLimits
  readonly maxSites: number
  readonly timeoutMs: number
  readonly log: Logger
}

export interface MirrorService {
  readonly url: string
  stop(): Promise<void>
}

export async function startMirrorService(config: MirrorServiceConfig): Promise<MirrorService> {
  const { log } = config
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const store = new PublishStore({ root: config.sitesRoot, keep: config.keep })
  await store.recover()
  const follower = new MirrorFollower({
    store,
    client: new FeedClient({
      url: config.syncerUrl,
      token: config.token,
      timeoutMs: config.timeoutMs,
      limits: config.limits,
      maxSites: config.maxSites,
    }),
    metrics: new MirrorMetrics(registry),
    log,
  })
  const app = controlServer(log)
  await app.register(opsRoutes, { registry, ready: () => follower.caughtUp })
  const url = await app.listen({ host: config.listen.host, port: config.listen.port })
  follower.start()
  log.info({ url, syncer: config.syncerUrl }, 'mirror started')
  return {
    url,
    async stop() {
      await app.close()
      await follower.stop()
    },
  }
}
