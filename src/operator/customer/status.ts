/**
 * The conditions a Customer reports, from its spec, its lifecycle, the other Customers' domains,
 * and the API server's refusal of the last apply of its objects (`refusal`). Pure.
 */
import type { Customer } from '../../api/resources.js'
import { customerOverlaps, type DomainOverlap } from '../../domains/customer-overlap.js'
import type { DesiredCondition } from '../../kube/conditions.js'
import type { Refusal } from '../../kube/refusal.js'
import { refusalCondition } from '../refusals.js'
import { CONDITION, REASON } from './conditions.js'
import { customerNamespace } from './names.js'

const describe = (overlaps: readonly DomainOverlap[]) =>
  overlaps
    .map(
      ({ customer, pairs }) =>
        `${pairs.map(([ours, theirs]) => (ours === theirs ? ours : `${ours} ~ ${theirs}`)).join(', ')} (customer ${customer})`,
    )
    .join('; ')

/**
 * DomainsExclusive: whether a domain suffix overlaps another Customer's. The admission policy
 * refuses new overlaps; this reports those stored before it, and those an admin allowed.
 */
export function domainsExclusive(customer: Customer, others: readonly Customer[]): DesiredCondition {
  const type = CONDITION.DomainsExclusive
  const overlaps = customerOverlaps(customer, others)
  const refused = overlaps.filter((o) => !o.allowed)
  if (refused.length > 0)
    return {
      type,
      status: 'False',
      reason: REASON.DomainsOverlap,
      message:
        `domains overlap other customers': ${describe(refused)}; each name goes to the oldest claim of a site or webspace, whichever customer it belongs to. Remove the domains from one customer, or allow the overlap with spec.domainOverlap.allowedWith: [${refused.map((o) => o.customer).join(', ')}]`.slice(
          0,
          1024,
        ),
    }
  if (overlaps.length > 0)
    return {
      type,
      status: 'True',
      reason: REASON.OverlapAllowed,
      message:
        `domains overlap, as spec.domainOverlap allows: ${describe(overlaps)}; each name goes to the oldest claim`.slice(
          0,
          1024,
        ),
    }
  return { type, status: 'True', reason: REASON.NoOverlap, message: "no domain overlaps another customer's" }
}

/** A refused write of a tenant's objects: nothing the customer's own spec changes, in most cases. */
export const customerRefusal = (refusal: Refusal) =>
  refusalCondition(refusal, {
    what: 'the customer',
    quota: 'a quota in the cluster bounds these objects: ask the platform operator to raise it',
  })

/** `others`: every Customer (the customer itself among them is ignored). */
export function customerConditions(
  customer: Customer,
  others: readonly Customer[],
  refusal?: Refusal,
): DesiredCondition[] {
  const namespace = customerNamespace(customer)
  if (customer.metadata.deletionTimestamp) {
    const message = `deleting namespace ${namespace} and everything in it; sites remove their routes first`
    return [
      { type: CONDITION.Provisioned, status: 'False', reason: REASON.Deleting, message },
      { type: CONDITION.Ready, status: 'False', reason: REASON.Deleting, message },
    ]
  }
  const provisioned: DesiredCondition = refusal
    ? { type: CONDITION.Provisioned, status: 'False', ...customerRefusal(refusal) }
    : {
        type: CONDITION.Provisioned,
        status: 'True',
        reason: REASON.TenantApplied,
        message: `namespace ${namespace} with quota, limits, network isolation and tenant RBAC`,
      }
  const suspended: DesiredCondition = customer.spec.suspended
    ? {
        type: CONDITION.Suspended,
        status: 'True',
        reason: REASON.CustomerSuspended,
        message: `suspended: static sites and webspaces have no route (their Certificates are kept) and webspaces run 0 replicas; set spec.suspended to false to resume`,
      }
    : { type: CONDITION.Suspended, status: 'False', reason: REASON.Active, message: 'not suspended' }
  const ready: DesiredCondition =
    provisioned.status === 'False'
      ? { ...provisioned, type: CONDITION.Ready }
      : suspended.status === 'True'
        ? { ...suspended, type: CONDITION.Ready, status: 'False' }
        : { type: CONDITION.Ready, status: 'True', reason: REASON.Ready, message: `serving in ${namespace}` }
  return [provisioned, suspended, domainsExclusive(customer, others), ready]
}
