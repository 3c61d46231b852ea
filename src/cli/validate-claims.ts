/**
 * The domain claims among the objects given to `hostplane validate`, decided by the operator's
 * own claim rules (the only place this command uses them): a domain another namespace claims, a
 * path prefix another site of the namespace serves, a domain reserved for default domains, and
 * one object defined twice. With no creation times in files, the object given first is taken
 * as the older claim, as `hostplane serve` orders the sites it finds at startup.
 */
import { type Claim, type ClaimKind, claimOf, decideClaim } from '../operator/staticsite/domain-claims.js'
import { domainPolicy, siteDomains } from '../operator/staticsite/domains.js'

/** A valid StaticSite or Webspace, in the order given. */
export interface ClaimSubject {
  readonly kind: ClaimKind
  readonly namespace: string
  readonly name: string
  readonly domains?: readonly string[]
  /** StaticSite `spec.pathPrefix`; Webspaces always claim `/`. */
  readonly pathPrefix?: string
}

export interface ClaimProblem {
  /** Index of the refused subject in the list given. */
  readonly subject: number
  /** The field the problem is about. */
  readonly field: string
  /** The operator's condition reason, e.g. `DomainOwnedByOtherNamespace`. */
  readonly reason: string
  readonly message: string
}

/** Equal-length, so comparing them as creation times keeps the order given. */
const orderStamp = (index: number) => String(index).padStart(12, '0')

export function claimProblems(subjects: readonly ClaimSubject[], pagesDomain: string): ClaimProblem[] {
  const policy = domainPolicy(pagesDomain, undefined)
  const problems: ClaimProblem[] = []
  const first = new Map<string, number>()
  const claims: { subject: number; claim: Claim }[] = []
  for (const [index, subject] of subjects.entries()) {
    const id = `${subject.kind} ${subject.namespace}/${subject.name}`
    const earlier = first.get(id)
    if (earlier !== undefined) {
      problems.push({
        subject: index,
        field: 'metadata.name',
        reason: 'AlreadyDefined',
        message: `${id} is defined more than once; only the first definition counts`,
      })
      continue
    }
    first.set(id, index)
    const object = {
      metadata: { name: subject.name, namespace: subject.namespace, creationTimestamp: orderStamp(index) },
      spec: { domains: subject.domains },
    }
    const domains = siteDomains(object, policy)
    if (!domains.ok) {
      problems.push({
        subject: index,
        field: 'spec.domains',
        reason: domains.reason,
        message: domains.message,
      })
      continue
    }
    const claim = claimOf(subject.kind, object, policy, subject.pathPrefix ?? '/')
    if (claim) claims.push({ subject: index, claim })
  }
  for (const { subject, claim } of claims) {
    const rivals = claims
      .map((c) => c.claim)
      .filter((rival) => rival !== claim && rival.domains.some((d) => claim.domains.includes(d)))
    const denied = decideClaim(claim, rivals)
    if (denied)
      problems.push({ subject, field: 'spec.domains', reason: denied.reason, message: denied.message })
  }
  return problems.sort((a, b) => a.subject - b.subject)
}
