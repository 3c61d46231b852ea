/**
 * The one rule for whom the panel's Kubernetes requests run as. A customer is impersonated as
 * the user `hostplane:customer:<name>` in the customer's group (the subject the operator binds
 * `hostplane-tenant` and `hostplane-customer-<name>` to, src/operator/customer/access.ts) and
 * `system:authenticated`, so the tenant's own RBAC decides every request and the API server's
 * audit log names the customer (with the panel as impersonator). Token records are read and
 * written as `hostplane:panel:tokens`, which may touch the Secrets of one namespace only
 * (deploy/rbac/panel.yaml); the audit log is written as `hostplane:panel:audit`, which may touch
 * the ConfigMaps of one namespace only. A provider admin is impersonated as `hostplane:admin:<subject>` in
the group `hostplane:admins`, which may manage Customers and nothing else; an admin acting as a
customer is that customer exactly, plus an extra naming the admin, so that the API server's
audit log names both. Pure.
 */
import { createHash } from 'node:crypto'
import { MAX_CUSTOMER_NAME } from '../api/customer.js'
import type { ExtraHeaders } from '../kube/rest.js'
import { customerGroup } from '../operator/customer/names.js'

export interface Impersonation {
  readonly user: string
  readonly groups: readonly string[]
  /** `Impersonate-Extra-<key>` values, by key. */
  readonly extra?: Readonly<Record<string, string>>
}

export const AUTHENTICATED_GROUP = 'system:authenticated'

/** The narrow identity token records are kept as. */
export const TOKEN_KEEPER: Impersonation = { user: 'hostplane:panel:tokens', groups: [AUTHENTICATED_GROUP] }

/** The narrow identity the audit log is written as: ConfigMaps of its namespace, nothing else. */
export const AUDIT_WRITER: Impersonation = { user: 'hostplane:panel:audit', groups: [AUTHENTICATED_GROUP] }

const CUSTOMER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** A Customer's name as the API server accepts it; anything else is never impersonated. */
export const isCustomerName = (name: string) => name.length <= MAX_CUSTOMER_NAME && CUSTOMER_NAME.test(name)

export function customerImpersonation(customer: string): Impersonation {
  if (!isCustomerName(customer)) throw new Error(`not a customer name: ${JSON.stringify(customer)}`)
  return { user: `hostplane:customer:${customer}`, groups: [customerGroup(customer), AUTHENTICATED_GROUP] }
}

/** The group every provider admin is impersonated in; deploy/rbac/panel.yaml binds what it may do. */
export const ADMINS_GROUP = 'hostplane:admins'

/**
 * The extra an admin acting as a customer adds to the customer's identity: the admin's user. A
 * key of the `hostplane.dev/` domain, as Kubernetes asks of extras; the panel may impersonate it
 * and no other (deploy/rbac/panel.yaml, `userextras/hostplane.dev/acting-admin`).
 */
export const ACTING_ADMIN_EXTRA = 'hostplane.dev/acting-admin'

// What a provider's subject may be in a username as it is; anything else is hashed.
const PLAIN_SUBJECT = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/

/**
 * The user a provider admin is impersonated as: `hostplane:admin:<subject>` for a subject of
 * letters, digits and `._@-` up to 100 characters, else `hostplane:admin:sha256-<first 32 hex
 * of its SHA-256>`, so that no subject (a `:` or a newline, a kilobyte) shapes the name.
 */
export function adminUser(subject: string): string {
  if (subject === '') throw new Error('an admin has a subject')
  return PLAIN_SUBJECT.test(subject)
    ? `hostplane:admin:${subject}`
    : `hostplane:admin:sha256-${createHash('sha256').update(subject).digest('hex').slice(0, 32)}`
}

export const adminImpersonation = (subject: string): Impersonation => ({
  user: adminUser(subject),
  groups: [ADMINS_GROUP, AUTHENTICATED_GROUP],
})

/** `customer`, as an admin acts as it: the customer's own user and groups, and the admin named. */
export const actingAdminImpersonation = (customer: string, adminSubject: string): Impersonation => ({
  ...customerImpersonation(customer),
  extra: { [ACTING_ADMIN_EXTRA]: adminUser(adminSubject) },
})

/**
 * The header lines of an impersonation: one `Impersonate-Group` line per group; an extra's key
 * percent-encoded, as a header name cannot carry its `/`.
 */
export const impersonationHeaders = ({ user, groups, extra = {} }: Impersonation): ExtraHeaders => ({
  'Impersonate-User': user,
  'Impersonate-Group': groups,
  ...Object.fromEntries(
    Object.entries(extra).map(([key, value]) => [`Impersonate-Extra-${encodeURIComponent(key)}`, value]),
  ),
})

/** Inbound headers the panel must never act on or pass on, in any spelling. */
export const isImpersonationHeader = (name: string) => name.toLowerCase().startsWith('impersonate-')
