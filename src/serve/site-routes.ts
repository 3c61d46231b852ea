/**
 * The routing index: which site answers a (host, path). Built once per configuration change:
 * an exact host map, each host holding its sites' path prefixes longest first, so a request
 * costs one map lookup and a short prefix scan. The first site claiming a (host, prefix) keeps it;
 * a later site claiming any of them is reported and not routed at all, as in a cluster (otherwise
 * its other domains would redirect visitors to a canonical domain that another site serves). The
 * caller passes sites in claim order.
 */
import type { ServedSite } from './served-site.js'

export interface SiteRoute {
  readonly site: ServedSite
  /** Whether the request came in on the site's canonical (first) domain. */
  readonly canonical: boolean
  /** Prefix segments to drop from the request path to get the site path. */
  readonly prefixSegments: readonly string[]
}

export interface RouteConflict {
  readonly site: string
  readonly domain: string
  readonly pathPrefix: string
  readonly heldBy: string
}

const segmentsOf = (prefix: string): string[] => prefix.split('/').filter(Boolean)

export class SiteRoutes {
  private constructor(
    private readonly byHost: ReadonlyMap<string, readonly SiteRoute[]>,
    readonly conflicts: readonly RouteConflict[],
  ) {}

  static build(sites: readonly ServedSite[]): SiteRoutes {
    const byHost = new Map<string, SiteRoute[]>()
    const conflicts: RouteConflict[] = []
    for (const site of sites) {
      const taken = site.domains.flatMap((domain) => {
        const holder = byHost.get(domain)?.find((route) => route.site.pathPrefix === site.pathPrefix)
        return holder
          ? [{ site: site.key, domain, pathPrefix: site.pathPrefix, heldBy: holder.site.key }]
          : []
      })
      conflicts.push(...taken)
      if (taken.length > 0) continue
      const prefixSegments = segmentsOf(site.pathPrefix)
      site.domains.forEach((domain, index) => {
        const routes = byHost.get(domain) ?? []
        routes.push({ site, canonical: index === 0, prefixSegments })
        byHost.set(domain, routes)
      })
    }
    for (const routes of byHost.values())
      routes.sort((a, b) => b.prefixSegments.length - a.prefixSegments.length)
    return new SiteRoutes(byHost, conflicts)
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
