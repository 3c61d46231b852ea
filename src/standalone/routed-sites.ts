/**
 * Which sites of the files `hostplane serve` routes, decided by the rule the operator uses
 * (src/domains): a site refused a domain (another site's default domain, a name under the pages
 * domain, an unusable default domain) or losing one to an earlier claim of another namespace, or
 * to an earlier site of its namespace with the same pathPrefix, is not routed at all, and says why
 * with the reason and message a cluster would put in its DomainClaimed condition. There are no
 * Customers here, so the customer-domain rule does not apply.
 */
import { siteKey } from '../api/site-key.js'
import { decideAll } from '../domains/decide.js'
import type { DomainReason } from '../domains/reasons.js'
import { domainPolicy } from '../domains/site-domains.js'
import { servedSite, type ServedSite } from '../serve/served-site.js'
import { type ArrangedSite, siteId } from './claim-order.js'
import { where } from './site-files.js'

/** What `GET /status/sites` shows of one site: its DomainClaimed condition, in serve's terms. */
export interface SiteStatus {
  /** `namespace/name`. */
  readonly site: string
  readonly file: string
  readonly routed: boolean
  /** The domains it is routed on; none when it is not routed. */
  readonly domains: readonly string[]
  readonly reason?: DomainReason
  readonly message?: string
}

export interface RoutedSite {
  readonly entry: ArrangedSite
  readonly served: ServedSite
}

export interface RoutedSites {
  readonly routed: readonly RoutedSite[]
  readonly status: readonly SiteStatus[]
  /** One line per site that is not routed, naming its file, the reason and what to do. */
  readonly problems: readonly string[]
}

export function routeSites(sites: readonly ArrangedSite[], pagesDomain: string): RoutedSites {
  const decisions = decideAll(
    sites.map((entry) => ({
      kind: 'StaticSite' as const,
      object: entry.site,
      claimedAt: entry.claimedAt,
      pathPrefix: entry.site.spec.pathPrefix,
    })),
    domainPolicy(pagesDomain),
  )
  const routed: RoutedSite[] = []
  const status: SiteStatus[] = []
  const problems: string[] = []
  sites.forEach((entry, index) => {
    const decision = decisions[index]
    if (!decision) return
    const site = siteId(entry)
    if (decision.held) {
      const key = siteKey(entry.site.metadata.namespace ?? '', entry.site.metadata.name)
      const served = servedSite(key, { ...entry.site.spec, domains: [...decision.domains] })
      routed.push({ entry, served })
      status.push({ site, file: entry.file, routed: true, domains: served.domains })
      return
    }
    const { reason, message } = decision
    status.push({ site, file: entry.file, routed: false, domains: [], reason, message })
    problems.push(`${where(entry)}: StaticSite ${site}: ${reason}: ${message}; not routed`)
  })
  return { routed, status, problems }
}
