/**
 * The Webspace controller: informers on Webspaces (all namespaces), Runtimes, Customers (to find
 * the one owning a namespace through status.namespace) and the owned kinds (by the webspace
 * label), the domain-claim index it shares with the StaticSite controller, and a work queue
 * running the reconciler. A changed owned object (drift, a Deployment reporting progress)
 * requeues its webspace; a changed Runtime or Customer requeues the webspaces that use it; a
 * changed claim (of a webspace or a site) requeues the webspaces sharing its domains.
 */
import type { Registry } from 'prom-client'
import type { Runtime, Webspace } from '../../api/resources.js'
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
import type { ClaimIndex } from '../staticsite/claim-index.js'
import { domainPolicy } from '../staticsite/domains.js'
import { RUNTIMES, WEBSPACE_OWNED_KINDS, WEBSPACE_SELECTOR, WEBSPACES, webspaceOf } from './owned.js'
import { webspaceClaim } from './plan.js'
import { WebspaceReconciler } from './reconcile.js'
import type { WebspaceConfig } from './render.js'

export interface WebspaceControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly config: WebspaceConfig
  /** Domain claims, shared with the StaticSite controller. */
  readonly claims: ClaimIndex
  readonly log: Logger
  readonly registry: Registry
  /** @default 10 */
  readonly concurrency?: number
  /** Periodic full reconcile; @default 10 minutes */
  readonly resyncMs?: number
  /** Only Customers matching this label selector, and so only their webspaces (tests). */
  readonly customerSelector?: string
}

export class WebspaceController {
  private readonly webspaces: Informer<Webspace>
  private readonly runtimes: Informer<Runtime>
  private readonly customers: CustomerNamespaces
  private readonly claims: ClaimIndex
  private readonly ownedInformers: Informer<KubeObject>[]
  /** Owned objects by webspace key. */
  private readonly byWebspace = new ObjectIndex(objectIdentity, webspaceOf)
  private readonly queue: WorkQueue
  private readonly lifecycle: ControllerLifecycle

  constructor(options: WebspaceControllerOptions) {
    const { rest, log, registry, concurrency = 10, resyncMs = 10 * 60_000, customerSelector } = options
    this.webspaces = new Informer<Webspace>({ rest, ...WEBSPACES, resyncMs, log })
    this.runtimes = new Informer<Runtime>({ rest, ...RUNTIMES, log })
    this.customers = new CustomerNamespaces({ rest, labelSelector: customerSelector, log })
    this.claims = options.claims
    this.ownedInformers = WEBSPACE_OWNED_KINDS.map(
      (kind) =>
        new Informer<KubeObject>({
          rest,
          apiVersion: kind.apiVersion,
          plural: kind.plural,
          labelSelector: WEBSPACE_SELECTOR,
          log,
          transform: withoutManagedFields,
        }),
    )
    const reconciler = new WebspaceReconciler({
      cache: {
        webspace: (key) => this.webspaces.get(key),
        runtime: (name) => this.runtimes.get(name),
        customerOf: (namespace) => this.customers.of(namespace),
        owned: (key) => this.byWebspace.get(key),
        rivals: (claim) => this.claims.rivals(claim),
      },
      applier: options.applier,
      events: options.events,
      config: options.config,
    })
    this.queue = new WorkQueue({
      name: 'webspace',
      concurrency,
      log,
      registry,
      handle: async (key) => {
        // With a customer selector, webspaces outside the selected customers belong to another operator.
        const webspace = this.webspaces.get(key)
        if (customerSelector && webspace && !this.customers.of(webspace.metadata.namespace ?? '')) return
        const step = await reconciler.reconcile(key)
        if (step !== 'none') log.debug({ webspace: key, step }, 'reconciled')
      },
    })
    const claimOf = (webspace: Webspace) =>
      webspaceClaim(
        webspace,
        domainPolicy(options.config.pagesDomain, this.customers.of(webspace.metadata.namespace ?? '')),
      )
    this.claims.subscribe('Webspace', (key) => this.queue.add(key))
    this.webspaces.onChange((event) => {
      this.claims.track('Webspace', event, claimOf)
      this.queue.add(objectKey(event.object))
    })
    this.runtimes.onChange((event) => this.requeue((w) => w.spec.runtime === event.object.metadata.name))
    // A Customer's domains decide which claims of its webspaces count, so they are claimed anew.
    this.customers.onChange((namespace) => {
      const affected = this.webspaces.list().filter((w) => w.metadata.namespace === namespace)
      this.claims.reclaim('Webspace', affected, claimOf)
      for (const webspace of affected) this.queue.add(objectKey(webspace))
    })
    for (const informer of this.ownedInformers) informer.onChange((event) => this.onOwned(event))
    this.lifecycle = new ControllerLifecycle({
      caches: [this.webspaces, this.runtimes, this.customers, ...this.ownedInformers],
      queue: this.queue,
      gate: (stopping) => this.claims.loaded('Webspace', stopping),
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

  private requeue(matches: (webspace: Webspace) => boolean): void {
    for (const webspace of this.webspaces.list()) if (matches(webspace)) this.queue.add(objectKey(webspace))
  }

  /** A relabelled object concerns its former webspace too, which must see it gone. */
  private onOwned(event: InformerEvent<KubeObject>): void {
    for (const key of this.byWebspace.update(event)) this.queue.add(key)
  }
}
