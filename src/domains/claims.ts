/**
 * Who may route a domain, across StaticSites and Webspaces alike, in a cluster and in
 * `hostplane serve`. A domain belongs to the namespace of its earliest claim (then
 * namespace/name/kind for claims made at the same time). Claims of that namespace share it by
 * distinct path prefixes (for one prefix the earlier claim wins; a Webspace always claims the
 * whole domain, `/`); a claim from any other namespace is denied, whatever its prefix, so no tenant
 * can capture part of another tenant's domain with a longer path rule.
 *
 * When a claim was made is the mode's to say: the creation time in a cluster (second precision),
 * the scan that first found the site in serve. The decision is pure: the caller gathers the rival
 * claims (objects sharing a domain), then the rules run in order and the first problem wins.
 */
import { DOMAIN_REASON } from './reasons.js'
import { type Claimant, type DomainPolicy, siteDomains } from './site-domains.js'

/** The kinds that route domains. */
export type ClaimKind = 'StaticSite' | 'Webspace'

/** Which object a claim is: kind, namespace and name. */
export interface ClaimRef {
  readonly kind: ClaimKind
  readonly namespace: string
  readonly name: string
}

export interface Claim extends ClaimRef {
  /** Earlier is smaller; equal values are claims made at the same time. */
  readonly claimedAt: number
  readonly domains: readonly string[]
  /** Without trailing slash; '/' when the site has no pathPrefix. */
  readonly pathPrefix: string
}

export interface ClaimDenied {
  readonly reason: typeof DOMAIN_REASON.DomainOwnedByOtherNamespace | typeof DOMAIN_REASON.PathPrefixTaken
  readonly message: string
}

/** `kind/namespace/name`: unique across both kinds (a site and a webspace may share a name). */
export const claimKey = (ref: ClaimRef) => `${ref.kind}/${ref.namespace}/${ref.name}`

/** A cluster's claim time: the creation time; an object without one (not stored yet) comes last. */
export const createdAt = (object: { metadata: { creationTimestamp?: string } }): number => {
  const time = Date.parse(object.metadata.creationTimestamp ?? '')
  return Number.isNaN(time) ? Number.MAX_SAFE_INTEGER : time
}

/**
 * The claim of an object on its domains; undefined when it has no servable domain (a refused
 * domain does not count as a claim, so a domain a Customer no longer lists frees up for the
 * customer that now does).
 */
export function claimOf(
  kind: ClaimKind,
  object: Claimant,
  policy: DomainPolicy,
  at: { readonly claimedAt: number; readonly pathPrefix?: string },
): Claim | undefined {
  const domains = siteDomains(object, policy)
  if (!domains.ok) return undefined
  return {
    kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
    claimedAt: at.claimedAt,
    domains: domains.domains,
    pathPrefix: at.pathPrefix?.replace(/\/+$/, '') || '/',
  }
}

/** Orders claims earliest first; equal times fall back to namespace/name/kind so every replica agrees. */
export function compareClaims(a: Claim, b: Claim): number {
  if (a.claimedAt !== b.claimedAt) return a.claimedAt - b.claimedAt
  const ak = `${a.namespace}/${a.name}/${a.kind}`
  const bk = `${b.namespace}/${b.name}/${b.kind}`
  return ak < bk ? -1 : ak > bk ? 1 : 0
}

/** How `winner` came before `claim`, true for a tie too (where "first" or "older" would be false). */
const precedence = (winner: Claim, claim: Claim, earlier: string) =>
  winner.claimedAt === claim.claimedAt
    ? `at the same time as this ${claim.kind} (ties go to namespace/name order)`
    : earlier

const sameClaimant = (a: Claim, b: Claim) => claimKey(a) === claimKey(b)

type Rule = (claim: Claim, rivals: readonly Claim[]) => ClaimDenied | undefined

const domainOwnedByOtherNamespace: Rule = (claim, rivals) => {
  for (const domain of claim.domains) {
    const owner = [claim, ...rivals].filter((c) => c.domains.includes(domain)).sort(compareClaims)[0]
    if (owner && owner.namespace !== claim.namespace)
      return {
        reason: DOMAIN_REASON.DomainOwnedByOtherNamespace,
        message: `domain ${domain} belongs to namespace ${owner.namespace}, where ${owner.kind} ${owner.name} claimed it ${precedence(owner, claim, 'first')}; use another domain, or ask the owner to remove it`,
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
        reason: DOMAIN_REASON.PathPrefixTaken,
        message: `${domain}${claim.pathPrefix === '/' ? '' : claim.pathPrefix} is served by ${rival.kind} ${rival.name} of this namespace, which claimed it ${precedence(rival, claim, 'earlier')}; set a different spec.pathPrefix or domain`,
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
