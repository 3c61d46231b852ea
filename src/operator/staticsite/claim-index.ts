/**
 * All sites' domain claims, indexed by domain, so a reconcile gathers its rivals without scanning
 * every site, and a change to one claim tells which other sites must be decided again (the
 * losers of a domain get it when its owner's last claim goes away).
 */
import type { Claim } from './domain-claims.js'

const keyOf = (claim: Claim) => `${claim.namespace}/${claim.name}`

export class ClaimIndex {
  private readonly bySite = new Map<string, Claim>()
  private readonly byDomain = new Map<string, Set<string>>()

  /**
   * Sets (or with undefined, removes) a site's claim. When it changed, returns the other sites
   * that shared a domain with it before or after, whose decisions may change with it.
   */
  set(key: string, claim: Claim | undefined): string[] {
    const previous = this.bySite.get(key)
    if (JSON.stringify(previous) === JSON.stringify(claim)) return []
    const affected = new Set<string>()
    for (const domain of previous?.domains ?? []) {
      const sites = this.byDomain.get(domain)
      sites?.delete(key)
      if (sites?.size === 0) this.byDomain.delete(domain)
      for (const other of sites ?? []) affected.add(other)
    }
    if (claim) {
      this.bySite.set(key, claim)
      for (const domain of claim.domains) {
        const sites = this.byDomain.get(domain) ?? new Set<string>()
        for (const other of sites) affected.add(other)
        sites.add(key)
        this.byDomain.set(domain, sites)
      }
    } else {
      this.bySite.delete(key)
    }
    affected.delete(key)
    return [...affected]
  }

  /** Claims of other sites sharing at least one of the domains. */
  rivals(claim: Claim): Claim[] {
    const self = keyOf(claim)
    const keys = new Set<string>()
    for (const domain of claim.domains) for (const key of this.byDomain.get(domain) ?? []) keys.add(key)
    keys.delete(self)
    return [...keys].flatMap((key) => this.bySite.get(key) ?? [])
  }
}
