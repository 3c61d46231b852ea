/**
 * Who may do what for a Customer, as bindings only: the rights themselves are fixed ClusterRoles
 * of the install (deploy/rbac/tenant.yaml, deploy/rbac/syncer.yaml), so the operator writes no
 * rule of its own into a tenant namespace and cannot grant more than the install does.
 * - in the customer namespace: its group → `hostplane-tenant`; the operator → TLS Secret reads;
 *   the syncer → site secret reads;
 * - cluster-wide: `hostplane-customer-<name>` lets the group read its own Customer and the
 *   Runtimes (cluster-scoped, so a ClusterRole; the operator holds these reads itself).
 * Pure. The operator guard admission policy admits exactly these shapes from the operator.
 */
import type { Customer } from '../../api/resources.js'
import { GROUP } from '../../api/kind.js'
import type { Manifest, OwnerReference } from '../../kube/object.js'
import type { OperatorConfig } from '../config.js'
import { BOUND_ROLES, customerAccessName, customerGroup } from './names.js'

export type AccessConfig = Pick<OperatorConfig, 'systemNamespace' | 'serviceAccounts'>

const RBAC = 'rbac.authorization.k8s.io'

/** The rules of `hostplane-customer-<name>`; the operator guard compares a ClusterRole with them. */
export const customerAccessRules = (customer: string) => [
  {
    apiGroups: [GROUP],
    resources: ['customers'],
    resourceNames: [customer],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: [GROUP], resources: ['runtimes'], verbs: ['get', 'list', 'watch'] },
]

export function renderCustomerAccess(
  customer: Customer,
  config: AccessConfig,
  /** The customer namespace, and the labels and owner of everything the Customer owns. */
  owned: {
    readonly namespace: string
    readonly labels: Record<string, string>
    readonly ownerReferences: OwnerReference[]
  },
): Manifest[] {
  const name = customer.metadata.name
  const { namespace, labels, ownerReferences } = owned
  const group = { apiGroup: RBAC, kind: 'Group', name: customerGroup(name) }
  const account = (accountName: string) => ({
    kind: 'ServiceAccount',
    name: accountName,
    namespace: config.systemNamespace,
  })
  const binding = (role: string, subject: Record<string, string>): Manifest => ({
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: role, namespace, labels, ownerReferences },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects: [subject],
  })
  const access = customerAccessName(name)
  return [
    binding(BOUND_ROLES.tenant, group),
    binding(BOUND_ROLES.operatorTlsSecrets, account(config.serviceAccounts.operator)),
    binding(BOUND_ROLES.syncerSecrets, account(config.serviceAccounts.syncer)),
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRole',
      metadata: { name: access, labels, ownerReferences },
      rules: customerAccessRules(name),
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: access, labels, ownerReferences },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: access },
      subjects: [group],
    },
  ]
}
