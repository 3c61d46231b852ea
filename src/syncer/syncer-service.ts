/**
 * The cluster syncer as one service: the sync engine, the StaticSite controller and the HTTP API
 * (webhooks, manual sync, /healthz, /readyz, /metrics) on one listener, and the mirror feed on the
 * same listener or on one of its own (`mirrorListen`), so that a NetworkPolicy can admit the
 * mirrors to the feed and nothing else to it. `hostplane syncer` runs it; tests run it in-process
 * with a ServiceAccount's kubeconfig.
 */
import { controlServer } from '../ops/control-server.js'
import type { KubeCredentials } from '../kube/kubeconfig.js'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { apiWritesCounter } from '../kube/api-writes.js'
import { Applier } from '../kube/apply.js'
import { fieldManagerOf } from '../kube/field-managers.js'
import { hostname } from 'node:os'
import { EventRecorder } from '../kube/events.js'
import { KubeRest } from '../kube/rest.js'
import type { Logger } from '../ops/log.js'
import { opsRoutes } from '../ops/ops-routes.js'
import { feedRoutes, type FeedRoutesOptions } from '../mirror/feed-routes.js'
import { PublishedRevisions } from '../mirror/published-revisions.js'
import { CustomerNamespaces } from '../operator/customer/by-namespace.js'
import { createSiteSyncer, type SiteSyncerConfig } from './create-site-syncer.js'
import { syncerHttpApi, type HttpApiOptions } from './http-api.js'
import { StaticSiteController } from './staticsite-controller.js'
import { SyncMetrics } from './sync-metrics.js'

export interface SyncerServiceConfig extends Omit<SiteSyncerConfig, 'metrics' | 'log'> {
  readonly kubeConfig: KubeCredentials
  readonly log: Logger
  /** host:port to listen on, e.g. `0.0.0.0:8080`; port 0 picks a free one. */
  readonly listen: { readonly host: string; readonly port: number }
  readonly webhookSecrets: HttpApiOptions['webhookSecrets']
  readonly syncToken?: string
  /** Bearer token of the mirror feed (`hostplane mirror`); without one the feed is off (404). */
  readonly mirrorToken?: string
  /** Serve the feed here instead of on `listen` (only with a mirror token); port 0 picks a free one. */
  readonly mirrorListen?: { readonly host: string; readonly port: number }
  /** Sites synced at once. Default 16. */
  readonly workers?: number
  /** The syncer's public base URL, for sites' `status.webhookURL`. */
  readonly publicUrl?: string
  readonly namespace?: string
  /** Only StaticSites matching this label selector (tests sharing a cluster). */
  readonly siteSelector?: string
}

export interface SyncerService {
  /** The address the HTTP API listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** The address of the mirror feed's own listener, when it has one. */
  readonly feedUrl?: string
  readonly controller: StaticSiteController
  readonly registry: Registry
  stop(): Promise<void>
}

export async function startSyncerService(config: SyncerServiceConfig): Promise<SyncerService> {
  const { log } = config
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const published = config.mirrorToken ? new PublishedRevisions() : undefined
  const { syncer, store } = await createSiteSyncer({
    ...config,
    metrics: new SyncMetrics(registry),
    log,
    onServedChange: published?.changed,
  })
  await published?.load(store)
  const manager = fieldManagerOf('syncer')
  const rest = new KubeRest(config.kubeConfig, { userAgent: manager })
  const applier = new Applier(rest, apiWritesCounter(registry), manager)
  const controller = new StaticSiteController({
    rest,
    applier,
    syncer,
    events: new EventRecorder({
      applier,
      controller: 'hostplane.dev/syncer',
      instance: hostname(),
      log,
    }),
    customers: new CustomerNamespaces({ rest, log }),
    log,
    registry,
    publicUrl: config.publicUrl,
    concurrency: config.workers,
    namespace: config.namespace,
    siteSelector: config.siteSelector,
  })

  const app = controlServer(log)
  await app.register(opsRoutes, { registry, ready: () => controller.ready })
  await app.register(syncerHttpApi, {
    target: controller,
    webhookSecrets: config.webhookSecrets,
    syncToken: config.syncToken,
  })
  const feed: FeedRoutesOptions | undefined =
    published && config.mirrorToken
      ? {
          store,
          revisions: published,
          token: config.mirrorToken,
          known: () => controller.siteKeys(),
          ready: () => controller.ready,
        }
      : undefined
  // Its own listener answers the feed and nothing else: the port a NetworkPolicy opens to the
  // mirrors opens nothing more.
  const feedApp = feed && config.mirrorListen ? controlServer(log) : undefined
  if (feed) await (feedApp ?? app).register(feedRoutes, feed)
  const url = await app.listen({ host: config.listen.host, port: config.listen.port })
  const feedUrl =
    feedApp && config.mirrorListen
      ? await feedApp.listen({ host: config.mirrorListen.host, port: config.mirrorListen.port })
      : undefined
  await controller.start()
  log.info({ url, feedUrl }, 'syncer started')

  return {
    url,
    feedUrl,
    controller,
    registry,
    async stop() {
      await Promise.all([app.close(), feedApp?.close()])
      await controller.stop()
      rest.close()
    },
  }
}
