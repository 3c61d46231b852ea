/**
 * What the serving layer needs to know about one StaticSite, normalised once per configuration
 * change so that no request has to: lower-case domains, a pathPrefix without trailing slash ('' for
 * the whole domain), the site's rules, and the SPA fallback.
 */
import type { FallbackMode, StaticSiteSpec } from '../api/staticsite.js'

export interface HeaderRule {
  /** Site path prefix the headers apply to ('/' for all). */
  readonly path: string
  readonly set: Readonly<Record<string, string>>
}

export interface RedirectRule {
  /** Site path; a trailing '*' matches every path below it. */
  readonly from: string
  /** Site path or http(s) URL; ':splat' is replaced with what '*' matched. */
  readonly to: string
  readonly status: 301 | 302 | 307 | 308
}

export interface ServedSite {
  /** Site key: the directory `<root>/<key>` and the nginx path prefix. */
  readonly key: string
  /** Lower-case; the first is canonical, the others redirect to it. */
  readonly domains: readonly string[]
  /** '' or a path like '/blog' (no trailing slash). */
  readonly pathPrefix: string
  readonly headers: readonly HeaderRule[]
  readonly redirects: readonly RedirectRule[]
  /** Site path of the 404 page; '/404.html' unless the spec names another. */
  readonly notFound: string
  /** `spec.fallback`: `index` answers a missing extension-less path with `/index.html` (200). */
  readonly fallback: FallbackMode
}

export type ServedSiteSpec = Pick<
  StaticSiteSpec,
  'domains' | 'pathPrefix' | 'notFound' | 'headers' | 'redirects' | 'fallback'
>

export const DEFAULT_NOT_FOUND_PAGE = '/404.html'

/** Normalises a spec whose domains were decided (src/domains: spec.domains or the default domain). */
export function servedSite(key: string, spec: ServedSiteSpec): ServedSite {
  return {
    key,
    domains: (spec.domains ?? []).map(normaliseHost),
    pathPrefix: (spec.pathPrefix ?? '').replace(/\/+$/, ''),
    headers: (spec.headers ?? []).map((rule) => ({ path: rule.path, set: { ...rule.set } })),
    redirects: (spec.redirects ?? []).map((rule) => ({
      from: rule.from,
      to: rule.to,
      status: rule.status as RedirectRule['status'],
    })),
    notFound: spec.notFound ?? DEFAULT_NOT_FOUND_PAGE,
    fallback: spec.fallback ?? 'notFound',
  }
}

/** Host header → domain: lower case, without port and trailing dot. */
export function normaliseHost(host: string): string {
  let end = host.length
  if (host.charCodeAt(0) === 91 /* [ */) end = host.indexOf(']') + 1 || end
  else {
    const colon = host.lastIndexOf(':')
    if (colon >= 0) end = colon
  }
  if (host.charCodeAt(end - 1) === 46 /* . */) end -= 1
  return host.slice(0, end).toLowerCase()
}
