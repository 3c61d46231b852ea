/**
 * Who may route a domain, across StaticSites and Webspaces alike. A domain belongs to the
 * namespace of its oldest claim (creation time, then namespace/name/kind). Claims of that
 * namespace share it by distinct path prefixes (for one prefix the older claim wins; a Webspace
 * always claims the whole domain, `/`); a claim from any other namespace is denied, whatever its
 * prefix, so no tenant can capture part of another tenant's domain with a longer path rule.
 *
 * The decision is pure: the caller gathers the rival claims (objects sharing a domain), then the
 * rules run in order and the first problem wins.
 */
import { REASON } from './conditions.js'
import { type Claimant, type DomainPolicy, siteDomains } from './domains.js'

/** The kinds that route domains. */
export type ClaimKind = 'StaticSite' | 'Webspace'

/** Which object a claim is: kind, namespace and name. */
export interface ClaimRef {
  readonly kind: ClaimKind
  readonly namespace: string
  readonly name: string
}

export interface Claim extends ClaimRef {
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

/** `kind/namespace/name`: unique across both kinds (a site and a webspace may share a name). */
export const claimKey = (ref: ClaimRef) => `${ref.kind}/${ref.namespace}/${ref.name}`

/**
 * The claim of an object on its domains; undefined when it has no servable domain (a refused
 * domain does not count as a claim, so a domain a Customer no longer lists frees up for the
 * customer that now does).
 */
export function claimOf(
  kind: ClaimKind,
  object: Claimant & { metadata: { creationTimestamp?: string } },
  policy: DomainPolicy,
  pathPrefix = '/',
): Claim | undefined {
  const domains = siteDomains(object, policy)
  if (!domains.ok) return undefined
  return {
    kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
    creationTimestamp: object.metadata.creationTimestamp ?? '',
    domains: domains.domains,
    pathPrefix,
  }
}

/** Orders claims oldest first; equal times fall back to namespace/name/kind so every replica agrees. */
export function compareClaims(a: Claim, b: Claim): number {
  if (a.creationTimestamp !== b.creationTimestamp) return a.creationTimestamp < b.creationTimestamp ? -1 : 1
  const ak = `${a.namespace}/${a.name}/${a.kind}`
  const bk = `${b.namespace}/${b.name}/${b.kind}`
  return ak < bk ? -1 : ak > bk ? 1 : 0
}

const sameClaimant = (a: Claim, b: Claim) => claimKey(a) === claimKey(b)

type Rule = (claim: Claim, rivals: readonly Claim[]) => ClaimDenied | undefined

const domainOwnedByOtherNamespace: Rule = (claim, rivals) => {
  for (const domain of claim.domains) {
    const owner = [claim, ...rivals].filter((c) => c.domains.includes(domain)).sort(compareClaims)[0]
    if (owner && owner.namespace !== claim.namespace)
      return {
        reason: REASON.DomainOwnedByOtherNamespace,
        message: `domain ${domain} belongs to namespace ${owner.namespace}, where ${owner.kind} ${owner.name} claimed it first; use another domain, or ask the owner to remove it`,
      }
  }
  return undefined
}

const pathPrefixTaken: Rule = (claim, rivals) => {
  for (const rival of [...rivals].sort(compareClaims)) {
    if (sameClaimant(rival, claim) || compareClaims(rival, claim) > 0) continue
    const domain = claim.domains.find((d) => rival.domains.includes(d))
    if (domain && rival.namespace === claim.namespace && rival.pathPrefix === claim.pathPrefix)
      return {
        reason: REASON.PathPrefixTaken,
        message: `${domain}${claim.pathPrefix === '/' ? '' : claim.pathPrefix} is already served by the older ${rival.kind} ${rival.name} in this namespace; set a different spec.pathPrefix or domain`,
      }
  }
  return undefined
}

const RULES: readonly Rule[] = [domainOwnedByOtherNamespace, pathPrefixTaken]

/** undefined when the claimant may route all its domains; otherwise why not. */
export function decideClaim(claim: Claim, rivals: readonly Claim[]): ClaimDenied | undefined {
  for (const rule of RULES) {
    const denied = rule(claim, rivals)
    if (denied) return denied
  }
  return undefined
}
