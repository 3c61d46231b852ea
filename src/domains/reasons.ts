/**
 * The reasons a domain decision gives, the same in every mode: a StaticSite's or Webspace's
 * condition in a cluster, the log line and status of `hostplane serve`.
 */
export const DOMAIN_REASON = {
  /** A name under the pages domain other than the object's own default domain. */
  DomainRefused: 'DomainRefused',
  /** A domain outside the namespace Customer's spec.domains (clusters only: serve has no Customers). */
  DomainNotAllowed: 'DomainNotAllowed',
  /** `<name>-<namespace>.<pages domain>` is not a name a public CA issues for. */
  InvalidDefaultDomain: 'InvalidDefaultDomain',
  DomainOwnedByOtherNamespace: 'DomainOwnedByOtherNamespace',
  PathPrefixTaken: 'PathPrefixTaken',
} as const

export type DomainReason = (typeof DOMAIN_REASON)[keyof typeof DOMAIN_REASON]
