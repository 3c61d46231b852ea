/**
 * Who may route a domain. A domain belongs to the namespace of its oldest claim (creation time,
 * then namespace/name). Sites of that namespace share it by distinct path prefixes (for one
 * prefix the older site wins); a claim from any other namespace is denied, whatever its prefix,
 * so no tenant can capture part of another tenant's domain with a longer path rule.
 *
 * The decision is pure: the caller gathers the rival claims (sites sharing a domain), then the
 * rules run in order and the first problem wins.
 */
import { REASON } from './conditions.js'

export interface Claim {
  readonly namespace: string
  readonly name: string
  readonly creationTimestamp: string
  readonly domains: readonly string[]
  /** '/' when the site has no pathPrefix. */
  readonly pathPrefix: string
}

export interface ClaimDenied {
  readonly reason: typeof REASON.DomainOwnedByOtherNamespace | typeof REASON.PathPrefixTaken
  readonly message: string
}

/** Orders claims oldest first; equal times fall back to namespace/name so every replica agrees. */
export function compareClaims(a: Claim, b: Claim): number {
  if (a.creationTimestamp !== b.creationTimestamp) return a.creationTimestamp < b.creationTimestamp ? -1 : 1
  const ak = `${a.namespace}/${a.name}`
  const bk = `${b.namespace}/${b.name}`
  return ak < bk ? -1 : ak > bk ? 1 : 0
}

const sameSite = (a: Claim, b: Claim) => a.namespace === b.namespace && a.name === b.name

type Rule = (claim: Claim, rivals: readonly Claim[]) => ClaimDenied | undefined

const domainOwnedByOtherNamespace: Rule = (claim, rivals) => {
  for (const domain of claim.domains) {
    const owner = [claim, ...rivals].filter((c) => c.domains.includes(domain)).sort(compareClaims)[0]
    if (owner && owner.namespace !== claim.namespace)
      return {
        reason: REASON.DomainOwnedByOtherNamespace,
        message: `domain ${domain} belongs to namespace ${owner.namespace}, which claimed it first; use another domain, or ask the owner to remove it from their sites`,
      }
  }
  return undefined
}

const pathPrefixTaken: Rule = (claim, rivals) => {
  for (const rival of [...rivals].sort(compareClaims)) {
    if (sameSite(rival, claim) || compareClaims(rival, claim) > 0) continue
    const domain = claim.domains.find((d) => rival.domains.includes(d))
    if (domain && rival.namespace === claim.namespace && rival.pathPrefix === claim.pathPrefix)
      return {
        reason: REASON.PathPrefixTaken,
        message: `${domain}${claim.pathPrefix === '/' ? '' : claim.pathPrefix} is already served by the older site ${rival.name} in this namespace; set a different spec.pathPrefix or domain`,
      }
  }
  return undefined
}

const RULES: readonly Rule[] = [domainOwnedByOtherNamespace, pathPrefixTaken]

/** undefined when the site may route all its domains; otherwise why not. */
export function decideClaim(claim: Claim, rivals: readonly Claim[]): ClaimDenied | undefined {
  for (const rule of RULES) {
    const denied = rule(claim, rivals)
    if (denied) return denied
  }
  return undefined
}
