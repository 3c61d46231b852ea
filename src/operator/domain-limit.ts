/**
 * A customer's limit on distinct domains across its StaticSites and Webspaces (by tier, see
 * tiers.ts). Each domain is a name on a Certificate (an ACME order) and a rule in Traefik's
 * configuration, so the limit bounds both. Claims count oldest first (the order of the domain
 * claim rule, compareClaims): a claim whose new domains would take the namespace over the limit
 * is refused whole — no route and no Certificate, so a visitor never meets a site served on some
 * of its names only — and its domains do not count, so an older claim is never displaced by a
 * newer one and a later claim that fits is still served. A domain already counted for an older
 * claim of the namespace (shared by path prefix) costs nothing. Pure.
 */
import type { Customer } from '../api/resources.js'
import { type Claim, claimKey, compareClaims } from '../domains/claims.js'
import { TIER_OBJECT_LIMITS } from './customer/tiers.js'

/** Why `claim` is over the limit, or undefined when it fits. `neighbours`: claims of its namespace. */
export function domainLimitExceeded(
  claim: Claim,
  neighbours: readonly Claim[],
  limit: number,
): string | undefined {
  const self = claimKey(claim)
  const ordered = [claim, ...neighbours.filter((c) => claimKey(c) !== self)].sort(compareClaims)
  const counted = new Set<string>()
  for (const current of ordered) {
    const added = current.domains.filter((domain) => !counted.has(domain))
    const fits = counted.size + added.length <= limit
    if (claimKey(current) === self)
      return fits
        ? undefined
        : `the customer's StaticSites and Webspaces may use ${limit} domains and older ones use ${counted.size}; this ${claim.kind} adds ${added.length} (${added.slice(0, 5).join(', ')}${added.length > 5 ? ', …' : ''}): remove domains from it or from other sites, or move the customer to a larger size`
    if (fits) for (const domain of added) counted.add(domain)
  }
  return undefined
}

/** The domain limit of `claim`'s customer applied to it; undefined when it fits or has no customer. */
export function customerDomainLimitExceeded(
  claim: Claim | undefined,
  neighbours: readonly Claim[],
  customer: Customer | undefined,
): string | undefined {
  const limit = customer && TIER_OBJECT_LIMITS[customer.spec.tier][customer.spec.size]?.domains
  return claim && limit !== undefined ? domainLimitExceeded(claim, neighbours, limit) : undefined
}
