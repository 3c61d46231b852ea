/**
 * How a kind that claims domains (StaticSites, Webspaces) joins the claim index the two share:
 * every change of one of its objects sets that object's claim, a changed rival claim requeues
 * it, a changed Customer claims the objects of its namespace anew (the Customer's domains decide
 * which claims count), and its queue waits until every kind's claims are loaded.
 */
import type { ControllerBuilder, WatchedKind } from '../kube/controller-builder.js'
import type { Cache } from '../kube/controller-lifecycle.js'
import type { Informer } from '../kube/informer.js'
import { type KubeObject, objectKey } from '../kube/object.js'
import type { CustomerNamespaces } from './customer/by-namespace.js'
import type { ClaimIndex } from './staticsite/claim-index.js'
import type { Claim, ClaimKind } from '../domains/claims.js'

export interface ClaimantOptions<T extends KubeObject> {
  readonly kind: ClaimKind
  readonly resource: WatchedKind
  readonly labelSelector?: string
  readonly claims: ClaimIndex
  readonly customers: CustomerNamespaces
  readonly claimOf: (object: T) => Claim | undefined
}

/** The informer of the reconciled claimant kind, and the gate its queue waits at. */
export function claimants<T extends KubeObject>(
  builder: ControllerBuilder,
  { kind, resource, labelSelector, claims, customers, claimOf }: ClaimantOptions<T>,
): {
  readonly informer: Informer<T>
  readonly gate: (stopping: AbortSignal) => Promise<void>
  /** The claims are loaded once the claimant's cache and the customers' (their domains) are synced. */
  readonly gateAfter: readonly Cache[]
} {
  const informer = builder.reconciles<T>(resource, {
    labelSelector,
    onChange: (event) => claims.track(kind, event, claimOf),
  })
  claims.subscribe(kind, builder.enqueue)
  customers.onChange((namespace) => {
    const affected = informer.list().filter((o) => o.metadata.namespace === namespace)
    claims.reclaim(kind, affected, claimOf)
    for (const object of affected) builder.enqueue(objectKey(object))
  })
  return { informer, gate: (stopping) => claims.loaded(kind, stopping), gateAfter: [informer, customers] }
}
