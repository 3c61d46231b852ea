/**
 * The domain claims among the objects given to `hostplane validate`, decided by the one claim rule
 * of every mode (src/domains): a domain another namespace claims, a path prefix another site of
 * the namespace serves, a domain reserved for default domains, and one object defined twice. Files
 * carry no creation times, so every object claims at the same time, as the sites `hostplane serve`
 * finds at startup do: ties go to namespace/name order.
 */
import type { ClaimKind } from '../domains/claims.js'
import { type ClaimantEntry, decideAll } from '../domains/decide.js'
import { domainPolicy } from '../domains/site-domains.js'

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

const SAME_TIME = 0

export function claimProblems(subjects: readonly ClaimSubject[], pagesDomain: string): ClaimProblem[] {
  const problems: ClaimProblem[] = []
  const first = new Set<string>()
  const entries: { subject: number; entry: ClaimantEntry }[] = []
  for (const [index, subject] of subjects.entries()) {
    const id = `${subject.kind} ${subject.namespace}/${subject.name}`
    if (first.has(id)) {
      problems.push({
        subject: index,
        field: 'metadata.name',
        reason: 'AlreadyDefined',
        message: `${id} is defined more than once; only the first definition counts`,
      })
      continue
    }
    first.add(id)
    const object = {
      metadata: { name: subject.name, namespace: subject.namespace },
      spec: { domains: subject.domains },
    }
    entries.push({
      subject: index,
      entry: { kind: subject.kind, object, claimedAt: SAME_TIME, pathPrefix: subject.pathPrefix },
    })
  }
  const decisions = decideAll(
    entries.map(({ entry }) => entry),
    domainPolicy(pagesDomain),
  )
  for (const [index, decision] of decisions.entries()) {
    const subject = entries[index]?.subject
    if (subject !== undefined && !decision.held)
      problems.push({ subject, field: 'spec.domains', reason: decision.reason, message: decision.message })
  }
  return problems.sort((a, b) => a.subject - b.subject)
}
