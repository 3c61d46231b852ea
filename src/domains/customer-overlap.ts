/**
 * Which of a Customer's domain suffixes overlap another Customer's: equal, or one a subdomain of
 * the other at a label boundary (`a.example` and `shop.a.example`, not `a.example` and
 * `ba.example`). Overlapping customers could both claim the same names, and the oldest claim
 * would win (the domain claim rule), so an overlap needs a platform operator's decision: either
 * customer naming the other in `spec.domainOverlap.allowedWith`. The admission policy
 * (src/admission/domain-overlap-policy.ts) refuses new overlaps with the same rule; this one
 * reports those stored before it. Pure.
 */

/** What the rule reads of a Customer. */
export interface CustomerDomains {
  readonly metadata: { readonly name: string }
  readonly spec: {
    readonly domains?: readonly string[]
    readonly domainOverlap?: { readonly allowedWith: readonly string[] }
  }
}

export interface DomainOverlap {
  /** The other customer's name. */
  readonly customer: string
  /** `[ours, theirs]` pairs of overlapping suffixes. */
  readonly pairs: readonly (readonly [string, string])[]
  /** Either customer names the other in spec.domainOverlap.allowedWith. */
  readonly allowed: boolean
}

/** Equal, or one below the other at a label boundary. */
export const domainsOverlap = (a: string, b: string): boolean =>
  a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`)

const names = (customer: CustomerDomains, other: CustomerDomains) =>
  customer.spec.domainOverlap?.allowedWith.includes(other.metadata.name) ?? false

/** The customers whose domains overlap `customer`'s, in the order given. */
export function customerOverlaps(
  customer: CustomerDomains,
  others: readonly CustomerDomains[],
): DomainOverlap[] {
  const ours = customer.spec.domains ?? []
  return others.flatMap((other) => {
    if (other.metadata.name === customer.metadata.name) return []
    const pairs = ours.flatMap((mine) =>
      (other.spec.domains ?? [])
        .filter((theirs) => domainsOverlap(mine, theirs))
        .map((theirs) => [mine, theirs] as const),
    )
    if (pairs.length === 0) return []
    return [
      { customer: other.metadata.name, pairs, allowed: names(customer, other) || names(other, customer) },
    ]
  })
}
