/**
 * Which domains get a certificate: only domains of routed sites (those holding their domains,
 * src/domains) that ask for one (`spec.tls.mode: auto`, the default). Nothing a visitor sends — a
 * Host header, an SNI name — ever adds a domain, so unknown names cause no order. Pure, decided
 * from the site files alone.
 */

export interface TlsSite {
  /** `namespace/name`, for messages. */
  readonly id: string
  /** Normalised served domains (spec.domains or the pages-domain default). */
  readonly domains: readonly string[]
  readonly mode: 'auto' | 'secret' | 'none'
}

export interface SkippedDomain {
  readonly site: string
  readonly domain: string
  readonly reason: string
}

export interface CertificateDomains {
  /** Sorted, each once. */
  readonly domains: readonly string[]
  /** Domains of sites that asked for TLS and get none, with the reason. */
  readonly skipped: readonly SkippedDomain[]
}

const isLocal = (domain: string) => domain === 'localhost' || domain.endsWith('.localhost')

export function certificateDomains(sites: readonly TlsSite[]): CertificateDomains {
  const domains = new Set<string>()
  const skipped: SkippedDomain[] = []
  for (const site of sites) {
    if (site.mode === 'none') continue
    for (const domain of site.domains) {
      if (site.mode === 'secret')
        skipped.push({
          site: site.id,
          domain,
          reason:
            'tls.mode secret names a Kubernetes Secret, which hostplane serve cannot read; served over HTTP only',
        })
      else if (isLocal(domain))
        skipped.push({
          site: site.id,
          domain,
          reason: 'a .localhost name cannot get a certificate from a public CA',
        })
      else domains.add(domain)
    }
  }
  return { domains: [...domains].sort(), skipped }
}
