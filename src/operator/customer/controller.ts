/**
 * The Customer controller: an informer on Customers and one per owned kind (all namespaces, by
 * the customer label), and a work queue running the reconciler. A change to an owned object
 * (drift, a namespace finishing its deletion) requeues its customer.
 */
import type { Registry } from 'prom-client'
import type { Customer } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { ControllerLifecycle } from '../../kube/controller-lifecycle.js'
import type { EventRecorder } from '../../kube/events.js'
import { Informer, type InformerEvent, withoutManagedFields } from '../../kube/informer.js'
import type { KubeObject } from '../../kube/object.js'
import { objectIdentity } from '../../kube/manifest-path.js'
import { ObjectIndex } from '../../kube/object-index.js'
import type { KubeRest } from '../../kube/rest.js'
import { WorkQueue } from '../../kube/work-queue.js'
import type { Logger } from '../../ops/log.js'
import { CUSTOMER_LABEL } from './names.js'
import { CUSTOMERS, OWNED_KINDS, OWNED_SELECTOR } from './owned.js'
import { CustomerReconciler } from './reconcile.js'
import type { TenancyConfig } from './render.js'

export interface CustomerControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly config: TenancyConfig
  readonly log: Logger
  readonly registry: Registry
  /** @default 4 */
  readonly concurrency?: number
  /** Periodic full reconcile; @default 10 minutes */
  readonly resyncMs?: number
  /** Only Customers matching this label selector (tests). */
  readonly customerSelector?: string
}

export class CustomerController {
  private readonly customers: Informer<Customer>
  private readonly ownedInformers: Informer<KubeObject>[]
  /** Owned objects by customer name. */
  private readonly byCustomer = new ObjectIndex(
    objectIdentity,
    (object) => object.metadata.labels?.[CUSTOMER_LABEL],
  )
  private readonly queue: WorkQueue
  private readonly lifecycle: ControllerLifecycle

  constructor(options: CustomerControllerOptions) {
    const { rest, log, registry, concurrency = 4, resyncMs = 10 * 60_000, customerSelector } = options
    this.customers = new Informer<Customer>({
      rest,
      ...CUSTOMERS,
      labelSelector: customerSelector,
      resyncMs,
      log,
    })
    this.ownedInformers = OWNED_KINDS.map(
      (kind) =>
        new Informer<KubeObject>({
          rest,
          apiVersion: kind.apiVersion,
          plural: kind.plural,
          labelSelector: OWNED_SELECTOR,
          log,
          transform: withoutManagedFields,
        }),
    )
    const reconciler = new CustomerReconciler({
      cache: {
        customer: (name) => this.customers.get(name),
        owned: (name) => this.byCustomer.get(name),
      },
      applier: options.applier,
      events: options.events,
      config: options.config,
    })
    this.queue = new WorkQueue({
      name: 'customer',
      concurrency,
      log,
      registry,
      handle: async (name) => {
        const step = await reconciler.reconcile(name)
        if (step !== 'none') log.debug({ customer: name, step }, 'reconciled')
      },
    })
    this.customers.onChange((event) => this.queue.add(event.object.metadata.name))
    for (const informer of this.ownedInformers) informer.onChange((event) => this.onOwned(event))
    this.lifecycle = new ControllerLifecycle({
      caches: [this.customers, ...this.ownedInformers],
      queue: this.queue,
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

  /** A relabelled object concerns its former customer too, which must see it gone. */
  private onOwned(event: InformerEvent<KubeObject>): void {
    for (const customer of this.byCustomer.update(event)) this.queue.add(customer)
  }
}
