/**
 * A customer's limit on new certificate orders per hour (by tier, see tiers.ts), which protects
 * the platform's one ACME account: Let's Encrypt allows 300 new orders per account per 3 hours
 * and 50 certificates per registered domain per week. A new order is a Certificate the operator
 * is about to create, or one whose domains change; renewals of an unchanged Certificate are not
 * counted (cert-manager renews each at most every two months). The orders of the last hour are
 * recorded in the Customer's `status.certificateOrders` before the Certificate is written, so an
 * operator restart does not reset the count. Pure.
 */
import { createHash } from 'node:crypto'
import type { CertificateOrder } from '../api/customer.js'
import type { Customer } from '../api/resources.js'
import type { ClaimKind } from '../domains/claims.js'
import type { KubeObject } from '../kube/object.js'
import { TIER_OBJECT_LIMITS } from './customer/tiers.js'

export const CERTIFICATE_RATE_WINDOW_MS = 60 * 60_000

/** Names one order: the object and its domains, so the same order is counted once. */
export const orderKey = (kind: ClaimKind, namespace: string, name: string, domains: readonly string[]) =>
  `${kind}/${namespace}/${name}/${createHash('sha256')
    .update([...domains].sort().join(','))
    .digest('hex')
    .slice(0, 16)}`

export type OrderDecision =
  /** Counted already (recorded earlier in the window): write the Certificate. */
  | { readonly kind: 'counted' }
  /** Record these orders in the Customer's status first, then write the Certificate. */
  | { readonly kind: 'record'; readonly orders: readonly CertificateOrder[] }
  /** Over the limit: no Certificate until `retryAt`. */
  | { readonly kind: 'limited'; readonly retryAt: Date; readonly message: string }

/** May `key` be ordered now by a customer whose recent orders are `orders` and limit `limit`? */
export function decideOrder(
  orders: readonly CertificateOrder[],
  limit: number,
  key: string,
  now: Date,
): OrderDecision {
  const recent = orders.filter((o) => Date.parse(o.at) > now.getTime() - CERTIFICATE_RATE_WINDOW_MS)
  if (recent.some((o) => o.object === key)) return { kind: 'counted' }
  if (recent.length < limit)
    return { kind: 'record', orders: [...recent, { object: key, at: now.toISOString() }] }
  const oldest = Math.min(...recent.map((o) => Date.parse(o.at)))
  const retryAt = new Date(oldest + CERTIFICATE_RATE_WINDOW_MS)
  return {
    kind: 'limited',
    retryAt,
    message: `the customer's sites and webspaces ordered ${recent.length} new certificates in the last hour, the limit of its tier: no certificate is requested until ${retryAt.toISOString()}, when it retries by itself (the route stays; add domains in fewer changes, or move the customer to a larger size)`,
  }
}

/** The customer's hourly limit applied to an order of `key`; undefined without a customer. */
export function customerOrderDecision(
  customer: Customer | undefined,
  key: string,
  now: Date,
): OrderDecision | undefined {
  const limit = customer && TIER_OBJECT_LIMITS[customer.spec.tier][customer.spec.size]?.certificatesPerHour
  if (!customer || limit === undefined) return undefined
  return decideOrder(customer.status?.certificateOrders ?? [], limit, key, now)
}

type WithDomains = KubeObject & { readonly spec?: { readonly dnsNames?: readonly string[] } }
const CERTIFICATE_KIND = 'Certificate'
const domainsOf = (certificate: KubeObject | undefined) =>
  [...((certificate as WithDomains | undefined)?.spec?.dnsNames ?? [])].sort()

/**
 * The decision on the Certificate among `desired` when it is a new order: none yet (`live`
 * undefined) or other domains than the live one; undefined when there is nothing to order.
 */
export function orderOf(
  owner: {
    readonly kind: ClaimKind
    readonly metadata: { readonly name: string; readonly namespace?: string }
  },
  desired: readonly KubeObject[],
  live: KubeObject | undefined,
  customer: Customer | undefined,
  now: Date,
): OrderDecision | undefined {
  const certificate = desired.find((o) => o.kind === CERTIFICATE_KIND)
  const domains = domainsOf(certificate)
  if (!certificate || domains.join() === domainsOf(live).join()) return undefined
  const key = orderKey(owner.kind, owner.metadata.namespace ?? '', owner.metadata.name, domains)
  return customerOrderDecision(customer, key, now)
}

/** `desired` while its order waits: the live Certificate's domains kept, or no Certificate yet. */
export function withoutNewOrder<T extends KubeObject>(
  desired: readonly T[],
  live: KubeObject | undefined,
): T[] {
  return desired.flatMap((o) => {
    if (o.kind !== CERTIFICATE_KIND) return [o]
    if (!live) return []
    const certificate = o as T & WithDomains
    return [{ ...certificate, spec: { ...certificate.spec, dnsNames: domainsOf(live) } }]
  })
}
