/**
 * The whole domain decision for one StaticSite or Webspace: may it use its domains at all (the
 * policy of site-domains.ts), and does it hold them against its rivals (claims.ts). The operator
 * decides one object at a time, with rivals from its claim index; `hostplane serve` decides every
 * site of its files at once. Both get the same reasons and messages from here.
 */
import { type Claim, type ClaimKind, claimOf, decideClaim } from './claims.js'
import type { DomainReason } from './reasons.js'
import { type Claimant, type DomainPolicy, siteDomains } from './site-domains.js'

export type DomainDecision =
  | { readonly held: true; readonly domains: readonly string[] }
  | {
      readonly held: false
      /** true: the policy refuses a domain (whatever others claim); false: a rival holds one. */
      readonly refused: boolean
      readonly reason: DomainReason
      readonly message: string
    }

/** One claimant as the decision reads it. */
export interface ClaimantEntry {
  readonly kind: ClaimKind
  readonly object: Claimant
  readonly claimedAt: number
  /** '' or '/' for the whole domain. */
  readonly pathPrefix?: string
}

export function decideDomains(
  entry: ClaimantEntry,
  policy: DomainPolicy,
  rivals: readonly Claim[],
): DomainDecision {
  const domains = siteDomains(entry.object, policy)
  if (!domains.ok) return { held: false, refused: true, reason: domains.reason, message: domains.message }
  const claim = claimOf(entry.kind, entry.object, policy, entry)
  const denied = claim && decideClaim(claim, rivals)
  if (denied) return { held: false, refused: false, ...denied }
  return { held: true, domains: domains.domains }
}

/** Decides every claimant of a complete set against the others; the answers are in `entries` order. */
export function decideAll(entries: readonly ClaimantEntry[], policy: DomainPolicy): DomainDecision[] {
  const claims = entries.map((entry) => claimOf(entry.kind, entry.object, policy, entry))
  const byDomain = new Map<string, Claim[]>()
  for (const claim of claims) {
    if (!claim) continue
    for (const domain of claim.domains) byDomain.set(domain, [...(byDomain.get(domain) ?? []), claim])
  }
  return entries.map((entry, index) => {
    const claim = claims[index]
    const rivals = new Set(claim?.domains.flatMap((domain) => byDomain.get(domain) ?? []))
    if (claim) rivals.delete(claim)
    return decideDomains(entry, policy, [...rivals])
  })
}
