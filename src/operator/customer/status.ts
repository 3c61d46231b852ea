/** The conditions a Customer reports, from its spec and lifecycle alone. Pure. */
import type { Customer } from '../../api/resources.js'
import type { DesiredCondition } from '../../kube/conditions.js'
import { CONDITION, REASON } from './conditions.js'
import { customerNamespace } from './names.js'

export function customerConditions(customer: Customer): DesiredCondition[] {
  const namespace = customerNamespace(customer)
  if (customer.metadata.deletionTimestamp) {
    const message = `deleting namespace ${namespace} and everything in it; sites remove their routes first`
    return [
      { type: CONDITION.Provisioned, status: 'False', reason: REASON.Deleting, message },
      { type: CONDITION.Ready, status: 'False', reason: REASON.Deleting, message },
    ]
  }
  const provisioned: DesiredCondition = {
    type: CONDITION.Provisioned,
    status: 'True',
    reason: REASON.TenantApplied,
    message: `namespace ${namespace} with quota, limits, network isolation and tenant RBAC`,
  }
  if (customer.spec.suspended) {
    const message = `suspended: static sites and webspaces have no route (their Certificates are kept) and webspaces run 0 replicas; set spec.suspended to false to resume`
    return [
      provisioned,
      { type: CONDITION.Suspended, status: 'True', reason: REASON.CustomerSuspended, message },
      { type: CONDITION.Ready, status: 'False', reason: REASON.CustomerSuspended, message },
    ]
  }
  return [
    provisioned,
    { type: CONDITION.Suspended, status: 'False', reason: REASON.Active, message: 'not suspended' },
    { type: CONDITION.Ready, status: 'True', reason: REASON.Ready, message: `serving in ${namespace}` },
  ]
}
