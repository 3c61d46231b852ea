/**
 * The Customer controller: an informer on Customers and one per owned kind (all namespaces, by
 * the customer label), and a work queue running the reconciler. A change to an owned object
 * (drift, a namespace finishing its deletion) requeues its customer; a change to a Customer's
 * domains requeues the customers they overlap (before or after), for their DomainsExclusive.
 */
import type { Registry } from 'prom-client'
import type { Customer } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { type Controller, ControllerBuilder } from '../../kube/controller-builder.js'
import type { EventRecorder } from '../../kube/events.js'
import type { Informer } from '../../kube/informer.js'
import { customerOverlaps } from '../../domains/customer-overlap.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { CUSTOMER_LABEL } from './names.js'
import { CUSTOMERS, OWNED_KINDS, OWNED_SELECTOR } from './owned.js'
import { CustomerReconciler } from './reconcile.js'
import { RefusalBackoff, type RefusalBackoffTimes } from '../../kube/refusal-backoff.js'
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
  /** How long a refused write waits for its retry. */
  readonly refusalBackoff?: RefusalBackoffTimes
}

const sameDomains = (a: Customer, b: Customer) =>
  JSON.stringify([a.spec.domains, a.spec.domainOverlap]) ===
  JSON.stringify([b.spec.domains, b.spec.domainOverlap])

export function customerController(options: CustomerControllerOptions): Controller {
  const { rest, log, concurrency = 4, resyncMs = 10 * 60_000 } = options
  const builder = new ControllerBuilder({
    name: 'customer',
    keyField: 'customer',
    rest,
    log,
    registry: options.registry,
    concurrency,
    resyncMs,
  })
  const customers: Informer<Customer> = builder.reconciles<Customer>(CUSTOMERS, {
    labelSelector: options.customerSelector,
    // Another customer's DomainsExclusive changes with this one's domains, before and after.
    onChange: ({ object, previous }) => {
      if (previous && sameDomains(previous, object)) return
      const all = customers.list()
      const touched = [object, ...(previous ? [previous] : [])].flatMap((c) => customerOverlaps(c, all))
      for (const { customer } of touched) builder.enqueue(customer)
    },
  })
  const owned = builder.owns(OWNED_KINDS, {
    labelSelector: OWNED_SELECTOR,
    ownerOf: (object) => object.metadata.labels?.[CUSTOMER_LABEL],
  })
  const reconciler = new CustomerReconciler({
    cache: {
      customer: (name) => customers.get(name),
      customers: () => customers.list(),
      owned: (name) => owned.get(name),
    },
    applier: options.applier,
    events: options.events,
    config: options.config,
    backoff: new RefusalBackoff({ ...options.refusalBackoff, retry: builder.enqueueAfter }),
  })
  return builder.build({ reconcile: (name) => reconciler.reconcile(name) })
}
