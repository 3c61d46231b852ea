/**
 * Names of what a Customer owns. The namespace carries the tier in its prefix (seed 004: `sh-`
 * shared, `ded-` dedicated); the other objects have fixed names inside it.
 */
import type { Tier } from '../../api/customer.js'

export const NAMESPACE_PREFIX: Readonly<Record<Tier, string>> = { shared: 'sh', dedicated: 'ded' }

/**
 * The customer's namespace: the one recorded in `status.namespace` once it exists (a tier change
 * never moves it, see docs/tenancy.md), else `<tier prefix>-<name>` of the current tier.
 */
export const customerNamespace = (customer: {
  metadata: { name: string }
  spec: { tier: Tier }
  status?: { namespace?: string }
}) => customer.status?.namespace ?? `${NAMESPACE_PREFIX[customer.spec.tier]}-${customer.metadata.name}`

/** The Kubernetes group a customer's people authenticate with (OIDC group claim or cert O=). */
export const customerGroup = (name: string) => `hostplane:customer:${name}`

export const CUSTOMER_LABEL = 'hostplane.dev/customer'
export const TIER_LABEL = 'hostplane.dev/tier'
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'hostplane' } as const

export const QUOTA_NAME = 'hostplane-quota'
export const LIMIT_RANGE_NAME = 'hostplane-limits'
export const NETWORK_POLICY_NAME = 'hostplane-isolation'
/** Lets the namespace's backup Jobs (and only them) reach the backup targets' repository proxies. */
export const BACKUP_EGRESS_POLICY_NAME = 'hostplane-backup-egress'

/**
 * The fixed ClusterRoles of deploy/rbac/tenant.yaml and deploy/rbac/syncer.yaml that the operator
 * binds in each customer namespace (the only ones it may `bind`), each under a RoleBinding of
 * the same name.
 */
export const BOUND_ROLES = {
  /** What the customer's group may do in its namespace. */
  tenant: 'hostplane-tenant',
  /** The operator reads TLS Secrets a site names there. */
  operatorTlsSecrets: 'hostplane-operator-tls-secrets',
  /** The syncer reads git credentials and webhook secrets of sites there. */
  syncerSecrets: 'hostplane-syncer-secrets',
} as const

/**
 * The per-customer ClusterRole and ClusterRoleBinding `hostplane-customer-<name>`: the group
 * reads its own (cluster-scoped) Customer and the Runtimes. The operator guard admits only this
 * name pattern with exactly this content.
 */
export const CUSTOMER_ACCESS_PREFIX = 'hostplane-customer-'
export const customerAccessName = (customer: string) => `${CUSTOMER_ACCESS_PREFIX}${customer}`
