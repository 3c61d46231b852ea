/**
 * The routing index: which site answers a (host, path). Built once per configuration change:
 * an exact host map, each host holding its sites' path prefixes longest first, so a request
 * costs one map lookup and a short prefix scan. Who may route a (host, prefix) is decided before,
 * by the domain rule of every mode (src/domains): the caller passes only sites that hold all their
 * domains, so no two share a host and prefix.
 */
import type { ServedSite } from './served-site.js'

export interface SiteRoute {
  readonly site: ServedSite
  /** Whether the request came in on the site's canonical (first) domain. */
  readonly canonical: boolean
  /** Prefix segments to drop from the request path to get the site path. */
  readonly prefixSegments: readonly string[]
}

const segmentsOf = (prefix: string): string[] => prefix.split('/').filter(Boolean)

export class SiteRoutes {
  private constructor(private readonly byHost: ReadonlyMap<string, readonly SiteRoute[]>) {}

  static build(sites: readonly ServedSite[]): SiteRoutes {
    const byHost = new Map<string, SiteRoute[]>()
    for (const site of sites) {
      const prefixSegments = segmentsOf(site.pathPrefix)
      site.domains.forEach((domain, index) => {
        const routes = byHost.get(domain) ?? []
        routes.push({ site, canonical: index === 0, prefixSegments })
        byHost.set(domain, routes)
      })
    }
    for (const routes of byHost.values())
      routes.sort((a, b) => b.prefixSegments.length - a.prefixSegments.length)
    return new SiteRoutes(byHost)
  }

  /** The site for a normalised host and decoded path segments, or undefined. */
  match(host: string, segments: readonly string[]): SiteRoute | undefined {
    const routes = this.byHost.get(host)
    if (!routes) return undefined
    for (const route of routes) if (startsWith(segments, route.prefixSegments)) return route
    return undefined
  }
}

function startsWith(segments: readonly string[], prefix: readonly string[]): boolean {
  if (prefix.length > segments.length) return false
  for (let i = 0; i < prefix.length; i++) if (segments[i] !== prefix[i]) return false
  return true
}
