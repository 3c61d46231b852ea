/**
 * The StaticSite controller: informers on StaticSites (all namespaces) and on the generated
 * kinds (system namespace, by label), the domain-claim index, and a work queue running the
 * reconciler. Every event is turned into the key of the StaticSite it concerns: a changed
 * generated object (drift, a Certificate turning Ready) requeues its source, a changed claim
 * requeues the sites sharing its domains. The queue starts only when every cache is synced, so
 * the first pass over all keys also removes orphans (generated objects whose site is gone).
 */
import type { Registry } from 'prom-client'
import type { Applier } from '../../kube/apply.js'
import type { EventRecorder } from '../../kube/events.js'
import { Informer, type InformerEvent, withoutManagedFields } from '../../kube/informer.js'
import { type KubeObject, objectKey } from '../../kube/object.js'
import { objectIdentity } from '../../kube/manifest-path.js'
import { ObjectIndex } from '../../kube/object-index.js'
import type { KubeRest } from '../../kube/rest.js'
import { WorkQueue } from '../../kube/work-queue.js'
import type { Logger } from '../../ops/log.js'
import { ClaimIndex } from './claim-index.js'
import type { OperatorConfig } from './config.js'
import { GENERATED_KINDS, GENERATED_SELECTOR, SITE_LABEL, sourceOf } from './generated.js'
import { claimOf } from './plan.js'
import { StaticSiteReconciler } from './reconcile.js'
import { type StaticSite, STATICSITES } from './site.js'

export interface StaticSiteControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly config: OperatorConfig
  readonly log: Logger
  readonly registry: Registry
  /** @default 10 */
  readonly concurrency?: number
  /** Periodic full reconcile; @default 10 minutes */
  readonly resyncMs?: number
  /**
   * Only StaticSites matching this label selector (shards, tests). Each shard needs its own
   * system namespace: objects there whose site this controller does not see are orphans to it.
   */
  readonly siteSelector?: string
}

export class StaticSiteController {
  private readonly sites: Informer<StaticSite>
  private readonly generatedInformers: Informer<KubeObject>[]
  /** Generated objects by site key. */
  private readonly bySiteKey = new ObjectIndex(objectIdentity)
  private readonly claims = new ClaimIndex()
  private readonly queue: WorkQueue
  private started = false

  constructor(options: StaticSiteControllerOptions) {
    const { rest, config, log, registry, concurrency = 10, resyncMs = 10 * 60_000, siteSelector } = options
    this.sites = new Informer<StaticSite>({
      rest,
      ...STATICSITES,
      labelSelector: siteSelector,
      resyncMs,
      log,
    })
    this.generatedInformers = GENERATED_KINDS.map(
      (kind) =>
        new Informer<KubeObject>({
          rest,
          apiVersion: kind.apiVersion,
          plural: kind.plural,
          namespace: config.systemNamespace,
          labelSelector: GENERATED_SELECTOR,
          log,
          transform: withoutManagedFields,
        }),
    )
    const reconciler = new StaticSiteReconciler({
      cache: {
        site: (key) => this.sites.get(key),
        generated: (key) => this.bySiteKey.get(key),
        rivals: (claim) => this.claims.rivals(claim),
      },
      applier: options.applier,
      events: options.events,
      config,
      log,
    })
    this.queue = new WorkQueue({
      name: 'staticsite',
      concurrency,
      log,
      registry,
      handle: async (key) => {
        const step = await reconciler.reconcile(key)
        if (step !== 'none') log.debug({ site: key, step }, 'reconciled')
      },
    })
    this.sites.onChange((event) => this.onSite(event, config))
    for (const informer of this.generatedInformers) informer.onChange((event) => this.onGenerated(event))
  }

  /** True once every cache is synced and the queue runs. */
  get ready(): boolean {
    return this.started
  }

  /** Resolves when the caches are synced and reconciling has begun. */
  async start(): Promise<void> {
    await Promise.all([this.sites.start(), ...this.generatedInformers.map((i) => i.start())])
    this.queue.start()
    this.started = true
  }

  /** Stops watching and waits for running reconciles to finish. */
  async stop(): Promise<void> {
    await Promise.all([this.sites.stop(), ...this.generatedInformers.map((i) => i.stop())])
    await this.queue.shutdown()
  }

  private onSite(event: InformerEvent<StaticSite>, config: OperatorConfig): void {
    const key = objectKey(event.object)
    const claim = event.type === 'deleted' ? undefined : claimOf(event.object, config)
    for (const rival of this.claims.set(key, claim)) this.queue.add(rival)
    this.queue.add(key)
  }

  private onGenerated(event: InformerEvent<KubeObject>): void {
    const { object } = event
    const siteKey = object.metadata.labels?.[SITE_LABEL]
    if (siteKey) this.bySiteKey.update(siteKey, event)
    const source = sourceOf(object)
    if (source) this.queue.add(source)
  }
}
