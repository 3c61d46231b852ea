/**
 * The serving rules, as pure functions: a request and the site configuration in, a decision out.
 * The built-in server runs all of them; in a cluster Traefik does the routing half (host,
 * pathPrefix, canonical domain, redirects and headers rules) and nginx the file half
 * (`resolveInTree`), configured to match (docs/serving.md has the table of who does what).
 *
 * Order, first match wins:
 *  1. method other than GET/HEAD → 405
 *  2. no Host → 400; unsafe or malformed path → 400 (414 when too long), before any file access;
 *     an absolute-form target (`GET http://host/path`) is routed by its host, not the Host header
 *  3. no site for host + path → plain 404
 *  4. non-canonical domain → 301 to the canonical domain, same path and query
 *  5. the bare pathPrefix without its slash → 301 to it with the slash
 *  6. the site's redirect rules, first match wins
 *  7. a path with a hidden segment (`.git`, `.env`) → the site's 404 page (never the fallback)
 *  8. the file: `/p/` → p/index.html; `/p` → file p, else directory p → 301 `./p/`, else p.html
 *  9. not found → with fallback `index`, `/index.html` (200) for extension-less paths; else the
 *     site's 404 page with status 404; else a plain 404
 */
import { isHiddenSegment, parseRequestTarget, type RequestPath, splitRequestTarget } from './request-path.js'
import type { ServedSite } from './served-site.js'
import { normaliseHost } from './served-site.js'
import type { SiteRoutes } from './site-routes.js'

export interface ServingRequest {
  readonly method: string
  readonly host: string | undefined
  /** The raw request target: path and query (or absolute-form URL), still percent-encoded. */
  readonly target: string
  readonly scheme: 'http' | 'https'
}

/** The request path below the site's pathPrefix. */
export interface SitePath extends RequestPath {
  /** '/' + decoded segments joined by '/'. */
  readonly path: string
}

export type Decision =
  | { readonly kind: 'status'; readonly status: 400 | 404 | 405 | 414 }
  | { readonly kind: 'redirect'; readonly status: 301 | 302 | 307 | 308; readonly location: string }
  | { readonly kind: 'file'; readonly path: string; readonly status: 200 | 404 }

export type RouteDecision =
  Decision | { readonly kind: 'site'; readonly site: ServedSite; readonly sitePath: SitePath }

export type PathKind = 'file' | 'directory' | undefined

/** What is at a site path in the published tree (undefined: nothing servable). */
export type TreeProbe = (sitePath: string) => PathKind

const INDEX = 'index.html'

/** Rules 1–6: everything decided without looking at the files. */
export function routeRequest(request: ServingRequest, routes: SiteRoutes): RouteDecision {
  if (request.method !== 'GET' && request.method !== 'HEAD') return { kind: 'status', status: 405 }
  const target = splitRequestTarget(request.target)
  const host = target?.authority ?? request.host
  if (!target || !host) return { kind: 'status', status: 400 }
  const parsed = parseRequestTarget(target.target)
  if (!parsed.ok) return { kind: 'status', status: parsed.status }
  const { segments, trailingSlash, search } = parsed.path
  const route = routes.match(normaliseHost(host), segments)
  if (!route) return { kind: 'status', status: 404 }
  const { site, prefixSegments } = route
  if (!route.canonical)
    return redirect(301, `${request.scheme}://${site.domains[0]}${portOf(host)}${target.target}`)
  const rest = segments.slice(prefixSegments.length)
  if (rest.length === 0 && prefixSegments.length > 0 && !trailingSlash)
    return redirect(301, `./${encodeURIComponent(prefixSegments.at(-1) ?? '')}/${search}`)
  const sitePath: SitePath = { segments: rest, trailingSlash, search, path: `/${rest.join('/')}` }
  const redirected = matchRedirect(site, sitePath)
  if (redirected) return redirected
  return { kind: 'site', site, sitePath }
}

/** Every site path `resolveInTree` may probe for this request, so the caller can load them first. */
export function candidatePaths(site: ServedSite, sitePath: SitePath): string[] {
  if (sitePath.segments.some(isHiddenSegment)) return [site.notFound]
  const paths = isDirectoryRequest(sitePath)
    ? [joinPath(sitePath.path, INDEX)]
    : [sitePath.path, `${sitePath.path}.html`]
  if (site.fallback === 'index') paths.push(`/${INDEX}`)
  paths.push(site.notFound)
  return paths
}

/** Rules 7–9: the file to serve, given what the published tree holds. */
export function resolveInTree(site: ServedSite, sitePath: SitePath, probe: TreeProbe): Decision {
  if (sitePath.segments.some(isHiddenSegment)) return notFoundPage(site, probe)
  if (isDirectoryRequest(sitePath)) {
    const index = joinPath(sitePath.path, INDEX)
    if (probe(index) === 'file') return { kind: 'file', path: index, status: 200 }
    return notFound(site, sitePath, probe)
  }
  const kind = probe(sitePath.path)
  if (kind === 'file') return { kind: 'file', path: sitePath.path, status: 200 }
  if (kind === 'directory')
    return redirect(301, `./${encodeURIComponent(sitePath.segments.at(-1) ?? '')}/${sitePath.search}`)
  const html = `${sitePath.path}.html`
  if (probe(html) === 'file') return { kind: 'file', path: html, status: 200 }
  return notFound(site, sitePath, probe)
}

function notFound(site: ServedSite, sitePath: SitePath, probe: TreeProbe): Decision {
  const last = sitePath.segments.at(-1) ?? ''
  if (site.fallback === 'index' && !last.includes('.') && probe(`/${INDEX}`) === 'file')
    return { kind: 'file', path: `/${INDEX}`, status: 200 }
  return notFoundPage(site, probe)
}

const notFoundPage = (site: ServedSite, probe: TreeProbe): Decision =>
  probe(site.notFound) === 'file'
    ? { kind: 'file', path: site.notFound, status: 404 }
    : { kind: 'status', status: 404 }

function matchRedirect(site: ServedSite, sitePath: SitePath): Decision | undefined {
  for (const rule of site.redirects) {
    let splat: string
    if (rule.from.endsWith('*')) {
      const stem = rule.from.slice(0, -1)
      if (!sitePath.path.startsWith(stem) && `${sitePath.path}/` !== stem) continue
      splat = sitePath.path.slice(stem.length)
    } else if (rule.from === sitePath.path || (sitePath.trailingSlash && rule.from === `${sitePath.path}/`)) {
      splat = ''
    } else continue
    const encodedSplat = splat.split('/').map(encodeURIComponent).join('/')
    const to = rule.to.replaceAll(':splat', encodedSplat)
    return redirect(rule.status, to.startsWith('/') ? `${site.pathPrefix}${to}` : to)
  }
  return undefined
}

/** Response headers from the site's `headers` rules for a site path; later rules override earlier. */
export function siteHeaders(site: ServedSite, path: string): Readonly<Record<string, string>> | undefined {
  let headers: Record<string, string> | undefined
  for (const rule of site.headers) if (path.startsWith(rule.path)) headers = { ...headers, ...rule.set }
  return headers
}

const isDirectoryRequest = (sitePath: SitePath) => sitePath.trailingSlash || sitePath.segments.length === 0
const joinPath = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`)
const redirect = (status: 301 | 302 | 307 | 308, location: string): Decision => ({
  kind: 'redirect',
  status,
  location,
})

function portOf(host: string): string {
  const close = host.lastIndexOf(']')
  const colon = host.lastIndexOf(':')
  return colon > close ? host.slice(colon) : ''
}
