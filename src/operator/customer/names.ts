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
export const TENANT_ROLE_NAME = 'hostplane-tenant'
export const DOMAIN_POLICY_NAME = 'hostplane.dev-customer-domains'
export const QUOTA_POLICY_NAME = 'hostplane.dev-tier-quota'
export const domainPolicyBindingName = (customer: string) => `${DOMAIN_POLICY_NAME}-${customer}`
/** Refuses a Customer whose domains overlap another's; one binding, every Customer a parameter. */
export const DOMAIN_OVERLAP_POLICY_NAME = 'hostplane.dev-customer-domain-overlap'
/** Refuses a site's or webspace's tls.clusterIssuer its Customer may not use. */
export const ISSUER_POLICY_NAME = 'hostplane.dev-tenant-cluster-issuers'
