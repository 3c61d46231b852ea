/**
 * One Customer, made true. Reads only caches; each pass ends in at most one kind of write, and
 * the watch event it causes brings the customer back for the next step:
 *   gone → nothing (owner references let the garbage collector remove what is left)
 *   being deleted → report Deleting, then delete the namespace and the policy binding, then,
 *     once the namespace is gone (its StaticSites' finalizers removed their routes in the system
 *     namespace first), drop the finalizer
 *   no finalizer yet → add it
 *   legacy tenant Role or its binding present (operators before issue 19) → delete them
 *   otherwise → apply changed objects, then the status (namespace, conditions) if it changed. A
 *     write the API server refuses (a denying policy, a quota, missing RBAC) makes Provisioned
 *     False with the refusal's reason, retried with backoff (status only until it is due).
 * Each step is recorded as an Event on the Customer: namespace created, suspended or resumed
 * (the Suspended condition's reason), refused, Deleting, namespace being deleted, deleted; one
 * Event per step, however often a pass repeats it.
 */
import type { Customer } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { conditionsUpToDate, storedConditions } from '../../kube/conditions.js'
import { type EventRecorder, recordConditionChanges } from '../../kube/events.js'
import type { KubeObject } from '../../kube/object.js'
import { type Refusal, refusalOf } from '../../kube/refusal.js'
import type { RefusalBackoff } from '../../kube/refusal-backoff.js'
import { CONDITION, FINALIZER, REASON } from './conditions.js'
import { CUSTOMERS, customerRef } from './owned.js'
import { objectRef } from '../../kube/manifest-path.js'
import { legacyTenantRbac } from './legacy.js'
import { customerNamespace } from './names.js'
import { renderCustomer, type TenancyConfig } from './render.js'
import { customerConditions } from './status.js'

/** What the reconciler reads: informer caches. */
export interface CustomerCache {
  customer(name: string): Customer | undefined
  /** Every cached Customer, for the domain overlap condition. */
  customers(): readonly Customer[]
  /** Every cached object labelled with this customer. */
  owned(customer: string): readonly KubeObject[]
}

export interface CustomerReconcilerOptions {
  readonly cache: CustomerCache
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly config: TenancyConfig
  /** Refused writes wait here for their retry. */
  readonly backoff: Pick<RefusalBackoff, 'holding' | 'refused' | 'clear'>
  readonly clock?: () => Date
}

/** Conditions whose changes are Events; Normal but for a refusal (suspend, resume, delete are deliberate). */
const EVENT_CONDITIONS: readonly string[] = [CONDITION.Provisioned, CONDITION.Suspended]

export type CustomerStep =
  | 'none'
  | 'status'
  | 'cleanup'
  | 'finalizer-removed'
  | 'finalizer-added'
  | 'legacy-removed'
  | 'applied'
  | 'refused'

export class CustomerReconciler {
  constructor(private readonly options: CustomerReconcilerOptions) {}

  async reconcile(name: string): Promise<CustomerStep> {
    const { cache } = this.options
    const customer = cache.customer(name)
    if (!customer) {
      this.options.backoff.clear(name)
      return 'none'
    }
    const owned = cache.owned(name)
    if (customer.metadata.deletionTimestamp) {
      if (!customer.metadata.finalizers?.includes(FINALIZER)) return 'none'
      if (await this.writeStatus(customer)) return 'status'
      const remaining = owned.filter((o) => !o.metadata.deletionTimestamp)
      if (remaining.length > 0) {
        await Promise.all(remaining.map((o) => this.options.applier.delete(objectRef(o))))
        await this.event(
          customer,
          REASON.DeletingNamespace,
          `deleting namespace ${customerNamespace(customer)} and everything in it, and the customer's ClusterRole and ClusterRoleBinding`,
        )
        return 'cleanup'
      }
      if (owned.length > 0) return 'none'
      await this.setFinalizers(
        customer,
        customer.metadata.finalizers.filter((f) => f !== FINALIZER),
      )
      await this.event(customer, REASON.Deleted, `namespace ${customerNamespace(customer)} is gone`)
      return 'finalizer-removed'
    }
    if (!customer.metadata.finalizers?.includes(FINALIZER)) {
      await this.setFinalizers(customer, [...(customer.metadata.finalizers ?? []), FINALIZER])
      return 'finalizer-added'
    }
    const legacy = legacyTenantRbac(owned)
    if (legacy.length > 0) {
      await Promise.all(legacy.map((o) => this.options.applier.delete(objectRef(o))))
      return 'legacy-removed'
    }
    const hadNamespace = owned.some((o) => o.kind === 'Namespace')
    // The deletion path above removes what a Customer owns; while it lives the set never shrinks.
    // What others refer to goes first: the API server refuses objects in a missing namespace and a
    // binding to a ClusterRole it cannot resolve (the operator may not bind it by name).
    const rendered = renderCustomer(customer, this.options.config)
    const referred = (o: KubeObject) => o.kind === 'Namespace' || o.kind === 'ClusterRole'
    const { backoff } = this.options
    const fingerprint = () => String(customer.metadata.generation)
    let refusal = backoff.holding(name, fingerprint)
    let wrote = false
    if (!refusal)
      try {
        for (const wave of [rendered.filter(referred), rendered.filter((o) => !referred(o))])
          if (await this.options.applier.converge(wave, owned, { prune: false })) wrote = true
        backoff.clear(name)
      } catch (error) {
        refusal = refusalOf(error)
        if (!refusal) throw error
        backoff.refused(name, fingerprint(), refusal)
      }
    if (wrote && !hadNamespace)
      await this.event(
        customer,
        REASON.NamespaceCreated,
        `created namespace ${customerNamespace(customer)} with quota, limits, network isolation and tenant RBAC`,
      )
    if (await this.writeStatus(customer, refusal)) return 'applied'
    return wrote ? 'applied' : refusal ? 'refused' : 'none'
  }

  /** A lifecycle step, in Provisioned's series: a pass that repeats the step records nothing. */
  private event(customer: Customer, reason: string, note: string): Promise<void> {
    return this.options.events.record(customer, {
      type: 'Normal',
      reason,
      note,
      action: 'Reconcile',
      series: CONDITION.Provisioned,
    })
  }

  /** Applies namespace, conditions and observedGeneration unless already stored; true when written. */
  private async writeStatus(customer: Customer, refusal?: Refusal): Promise<boolean> {
    const { applier, clock = () => new Date() } = this.options
    const generation = customer.metadata.generation
    const conditions = customerConditions(customer, this.options.cache.customers(), refusal)
    const namespace = customerNamespace(customer)
    const current = customer.status
    if (
      conditionsUpToDate(conditions, current?.conditions, generation) &&
      current?.observedGeneration === generation &&
      current?.namespace === namespace
    )
      return false
    await applier.applyStatus(customerRef(customer), {
      apiVersion: CUSTOMERS.apiVersion,
      kind: CUSTOMERS.kind,
      metadata: { name: customer.metadata.name },
      status: {
        observedGeneration: generation,
        namespace,
        conditions: storedConditions(conditions, current?.conditions, generation, clock()),
      },
    })
    // The first status follows NamespaceCreated; only later changes, or a refusal, are news.
    if (current?.conditions || refusal)
      await recordConditionChanges(
        this.options.events,
        customer,
        current?.conditions,
        conditions,
        current?.conditions ? EVENT_CONDITIONS : [CONDITION.Provisioned],
        // Refused: the one change here that is not deliberate.
        (condition) => (refusal && condition.type === CONDITION.Provisioned ? 'Warning' : 'Normal'),
      )
    return true
  }

  private async setFinalizers(customer: Customer, finalizers: string[]): Promise<void> {
    await this.options.applier.mergePatch(customerRef(customer), {
      metadata: { resourceVersion: customer.metadata.resourceVersion, finalizers },
    })
  }
}
