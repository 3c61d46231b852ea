/**
 * The StaticSite controller: informers on StaticSites (all namespaces), on the generated kinds
 * (system namespace, by label) and on Customers (a suspended one takes its sites offline), the
 * domain-claim index it shares with the Webspace controller, and a work queue running the
 * reconciler. Every event is turned into the key of the StaticSite it concerns: a changed
 * generated object (drift, a Certificate turning Ready, a hand edit) requeues every site it
 * belonged to before and after the change, by name, label and source annotations, so an object
 * moved to another site is restored by its owner and never mistaken by the other, a changed claim
 * (of a site or a webspace) requeues the sites sharing its domains, a changed Customer the sites
 * of its namespace. The queue starts only when every cache is synced and every kind's claims are
 * loaded, so the first pass over all keys also removes orphans (generated objects whose site is
 * gone) and never routes a domain an older claim holds.
 */
import type { Registry } from 'prom-client'
import type { Applier } from '../../kube/apply.js'
import { ControllerLifecycle } from '../../kube/controller-lifecycle.js'
import type { EventRecorder } from '../../kube/events.js'
import { Informer, type InformerEvent, withoutManagedFields } from '../../kube/informer.js'
import { type KubeObject, objectKey } from '../../kube/object.js'
import { objectIdentity } from '../../kube/manifest-path.js'
import { ObjectIndex } from '../../kube/object-index.js'
import type { KubeRest } from '../../kube/rest.js'
import { WorkQueue } from '../../kube/work-queue.js'
import type { Logger } from '../../ops/log.js'
import { CustomerNamespaces } from '../customer/by-namespace.js'
import type { ClaimIndex } from './claim-index.js'
import type { OperatorConfig } from './config.js'
import { domainPolicy } from './domains.js'
import { siteKey } from '../../api/site-key.js'
import { GENERATED_KINDS, GENERATED_SELECTOR, siteKeyOf, sourceOf } from './generated.js'
import { siteClaim } from './plan.js'
import { StaticSiteReconciler } from './reconcile.js'
import { type StaticSite, STATICSITES } from './site.js'

export interface StaticSiteControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly config: OperatorConfig
  /** Domain claims, shared with the Webspace controller. */
  readonly claims: ClaimIndex
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
  /** Only Customers matching this label selector count (tests); see CustomerControllerOptions. */
  readonly customerSelector?: string
}

export class StaticSiteController {
  private readonly sites: Informer<StaticSite>
  private readonly generatedInformers: Informer<KubeObject>[]
  /** Generated objects by site key. */
  private readonly bySiteKey = new ObjectIndex(objectIdentity, siteKeyOf)
  /** `namespace/name` of each cached site, by site key: the sites a generated object concerns. */
  private readonly siteOfKey = new Map<string, string>()
  private readonly customers: CustomerNamespaces
  private readonly claims: ClaimIndex
  private readonly queue: WorkQueue
  private readonly lifecycle: ControllerLifecycle

  constructor(options: StaticSiteControllerOptions) {
    const { rest, config, log, registry, concurrency = 10, resyncMs = 10 * 60_000, siteSelector } = options
    this.claims = options.claims
    this.customers = new CustomerNamespaces({ rest, labelSelector: options.customerSelector, log })
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
        customerOf: (namespace) => this.customers.of(namespace),
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
    const claimOf = (site: StaticSite) =>
      siteClaim(site, domainPolicy(config.pagesDomain, this.customers.of(site.metadata.namespace ?? '')))
    this.claims.subscribe('StaticSite', (key) => this.queue.add(key))
    this.sites.onChange((event) => {
      const key = objectKey(event.object)
      const generatedKey = siteKey(event.object.metadata.namespace ?? '', event.object.metadata.name)
      if (event.type === 'deleted') this.siteOfKey.delete(generatedKey)
      else this.siteOfKey.set(generatedKey, key)
      this.claims.track('StaticSite', event, claimOf)
      this.queue.add(key)
    })
    // A Customer's domains decide which claims of its sites count, so its sites are claimed anew.
    this.customers.onChange((namespace) => {
      const affected = this.sites.list().filter((s) => s.metadata.namespace === namespace)
      this.claims.reclaim('StaticSite', affected, claimOf)
      for (const site of affected) this.queue.add(objectKey(site))
    })
    for (const informer of this.generatedInformers) informer.onChange((event) => this.onGenerated(event))
    this.lifecycle = new ControllerLifecycle({
      caches: [this.sites, this.customers, ...this.generatedInformers],
      queue: this.queue,
      gate: (stopping) => this.claims.loaded('StaticSite', stopping),
    })
  }

  get ready(): boolean {
    return this.lifecycle.ready
  }

  start(): Promise<void> {
    return this.lifecycle.start()
  }

  stop(): Promise<void> {
    return this.lifecycle.stop()
  }

  private onGenerated(event: InformerEvent<KubeObject>): void {
    const owners = this.bySiteKey.update(event)
    const sites = [
      ...owners.map((owner) => this.siteOfKey.get(owner)),
      ...[event.previous, event.object].map((version) => version && sourceOf(version)),
    ]
    for (const site of new Set(sites)) if (site) this.queue.add(site)
  }
}
