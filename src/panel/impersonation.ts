/**
 * The one rule for whom the panel's Kubernetes requests run as. A customer is impersonated as
 * the user `hostplane:customer:<name>` in the customer's group (the subject the operator binds
 * `hostplane-tenant` and `hostplane-customer-<name>` to, src/operator/customer/access.ts) and
 * `system:authenticated`, so the tenant's own RBAC decides every request and the API server's
 * audit log names the customer (with the panel as impersonator). Token records are read and
 * written as `hostplane:panel:tokens`, which may touch the Secrets of one namespace only
 * (deploy/rbac/panel.yaml). Pure.
 */
import { MAX_CUSTOMER_NAME } from '../api/customer.js'
import type { ExtraHeaders } from '../kube/rest.js'
import { customerGroup } from '../operator/customer/names.js'

export interface Impersonation {
  readonly user: string
  readonly groups: readonly string[]
}

export const AUTHENTICATED_GROUP = 'system:authenticated'

/** The narrow identity token records are kept as. */
export const TOKEN_KEEPER: Impersonation = { user: 'hostplane:panel:tokens', groups: [AUTHENTICATED_GROUP] }

const CUSTOMER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** A Customer's name as the API server accepts it; anything else is never impersonated. */
export const isCustomerName = (name: string) => name.length <= MAX_CUSTOMER_NAME && CUSTOMER_NAME.test(name)

export function customerImpersonation(customer: string): Impersonation {
  if (!isCustomerName(customer)) throw new Error(`not a customer name: ${JSON.stringify(customer)}`)
  return { user: `hostplane:customer:${customer}`, groups: [customerGroup(customer), AUTHENTICATED_GROUP] }
}

/** The header lines of an impersonation: one `Impersonate-Group` line per group. */
export const impersonationHeaders = ({ user, groups }: Impersonation): ExtraHeaders => ({
  'Impersonate-User': user,
  'Impersonate-Group': groups,
})

/** Inbound headers the panel must never act on or pass on, in any spelling. */
export const isImpersonationHeader = (name: string) => name.toLowerCase().startsWith('impersonate-')
