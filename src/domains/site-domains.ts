/**
 * The domains a StaticSite or Webspace is served on: its `spec.domains`, or the default
 * `<name>-<namespace>.<pages domain>`. The platform refuses some domains the schema accepts: the
 * pages domain itself and any name below it other than the object's own default, since those
 * belong to other objects' defaults; and, in a customer namespace, any domain outside the
 * Customer's `spec.domains`. The admission policy refuses the latter when the object is written;
 * this rule also covers objects stored before the Customer's list shrank. `hostplane serve` has no
 * Customers: its policy has none, so that rule is absent there.
 */
import type { Customer } from '../api/resources.js'
import { HOSTNAME } from '../api/schema-kit.js'
import { DOMAIN_REASON } from './reasons.js'

export type SiteDomains =
  | { readonly ok: true; readonly domains: readonly string[] }
  | {
      readonly ok: false
      readonly reason:
        | typeof DOMAIN_REASON.DomainRefused
        | typeof DOMAIN_REASON.DomainNotAllowed
        | typeof DOMAIN_REASON.InvalidDefaultDomain
      readonly message: string
    }

/** What the domain rules read of a StaticSite or a Webspace. */
export interface Claimant {
  readonly metadata: { readonly name: string; readonly namespace?: string }
  readonly spec: { readonly domains?: readonly string[] }
}

/** Which domains an object may use. */
export interface DomainPolicy {
  readonly pagesDomain: string
  /** The Customer owning the object's namespace; undefined outside a customer namespace and in serve. */
  readonly customer?: { readonly name: string; readonly domains: readonly string[] }
}

/** The policy for an object in a namespace that `customer` owns (or none owns). */
export const domainPolicy = (pagesDomain: string, customer?: Customer): DomainPolicy => ({
  pagesDomain,
  ...(customer ? { customer: { name: customer.metadata.name, domains: customer.spec.domains ?? [] } } : {}),
})

/** A domain is a customer's when it is one of its domains or a name below one. */
const underAny = (domain: string, allowed: readonly string[]) =>
  allowed.some((a) => domain === a || domain.endsWith(`.${a}`))

const MAX_HOSTNAME = 253
const MAX_LABEL = 63
const hostname = new RegExp(HOSTNAME)

export const defaultDomain = (object: Claimant, pagesDomain: string) =>
  `${object.metadata.name}-${object.metadata.namespace ?? ''}.${pagesDomain}`

/** `spec.domains`, or the default domain when there are none. */
export const domainsOf = (object: Claimant, pagesDomain: string): readonly string[] =>
  object.spec.domains?.length ? object.spec.domains : [defaultDomain(object, pagesDomain)]

/**
 * Why the default domain cannot be served, or undefined. `--` in the third and fourth characters
 * of a label marks an internationalised (`xn--`) name: public CAs refuse any other such label, so
 * the site would be routed but never get a certificate.
 */
function defaultDomainProblem(object: Claimant, own: string): string | undefined {
  const label = own.split('.')[0] ?? ''
  if (object.metadata.name.includes('.'))
    return `the name ${object.metadata.name} has a dot, which would make the default domain ${own.slice(0, 300)} a name below another site's`
  if (label.length > MAX_LABEL)
    return `<name>-<namespace> (${label.length} characters) is longer than the ${MAX_LABEL} a domain label may have`
  if (label.slice(2, 4) === '--')
    return `its first label ${label} has "--" in the third and fourth characters, which public certificate authorities refuse (it is reserved for internationalised xn-- names)`
  if (own.length > MAX_HOSTNAME || !hostname.test(own))
    return `${own.slice(0, 300)} is not a valid hostname (at most ${MAX_HOSTNAME} characters)`
  return undefined
}

export function siteDomains(site: Claimant, policy: DomainPolicy): SiteDomains {
  const { pagesDomain, customer } = policy
  const own = defaultDomain(site, pagesDomain)
  const domains = site.spec.domains
  if (!domains || domains.length === 0) {
    const problem = defaultDomainProblem(site, own)
    if (problem)
      return {
        ok: false,
        reason: DOMAIN_REASON.InvalidDefaultDomain,
        message: `the default domain cannot be served: ${problem}; set spec.domains, or use another name`,
      }
    return { ok: true, domains: [own] }
  }
  for (const domain of domains) {
    if (domain === pagesDomain || (domain.endsWith(`.${pagesDomain}`) && domain !== own))
      return {
        ok: false,
        reason: DOMAIN_REASON.DomainRefused,
        message: `domain ${domain} is reserved: names under ${pagesDomain} are the default domains of sites and webspaces, and each may only use its own (${own}); remove it from spec.domains or use a domain of your own`,
      }
    if (customer && domain !== own && !underAny(domain, customer.domains))
      return {
        ok: false,
        reason: DOMAIN_REASON.DomainNotAllowed,
        message: `domain ${domain} is not allowed for customer ${customer.name}: domains must be under ${
          customer.domains.length > 0 ? `${customer.domains.join(', ')} or ` : ''
        }the own default domain ${own}; remove it from spec.domains, or ask the platform operator to add it to the Customer's spec.domains`.slice(
          0,
          1024,
        ),
      }
  }
  return { ok: true, domains }
}
