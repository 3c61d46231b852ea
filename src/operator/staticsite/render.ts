/**
 * StaticSite → the Traefik and cert-manager objects that serve it, in the system namespace. Pure:
 * the same site and config always give the same objects, so re-applying them is a no-op.
 *
 * One IngressRoute per site holds its routes, longest rule first as Traefik prefers it:
 * - the canonical (first) domain, optionally under `pathPrefix`, through: the bare prefix's
 *   redirect to itself with a slash, the spec's redirects, its headers, the errors middleware of a
 *   custom `notFound` page, stripPrefix (pathPrefix), then addPrefix `/<site key>`
 *   (`/_spa/<site key>` with `fallback: index`) to reach the site's directory on the shared nginx;
 * - one route per distinct `headers[].path`, so each path gets the headers of every rule whose
 *   path is a prefix of it;
 * - the other domains, answered with a 301 to the canonical one (same path and query);
 * - with TLS, a second IngressRoute `http-<tag>.<site key>` on the plain entry points answering
 *   every domain with a 301 to the canonical https URL.
 * The IngressRoute is `route-<tag>.<site key>`, Middlewares `<purpose>-<tag>.<site key>`, the
 * Certificate and its Secret `<site key>` and `<site key>-tls`, the copy of a site's own TLS
 * Secret `tls-<tag>.<site key>` (generated.ts, site-key.ts).
 */
import { nginxPrefix, siteKey } from '../../api/site-key.js'
import type { KubeObject } from '../../kube/object.js'
import { DEFAULT_NOT_FOUND_PAGE } from '../../serve/served-site.js'
import type { OperatorConfig } from '../config.js'
import {
  certificateName,
  GENERATED,
  httpRouteName,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  middlewareName,
  routeName,
  SITE_LABEL,
  SOURCE_NAME,
  SOURCE_NAMESPACE,
  tlsCopyName,
  tlsSecretName,
  type GeneratedKind,
} from './generated.js'
import { type SecretObject, TLS_SECRET_TYPE } from './tls-secret.js'
import type { StaticSite } from './site.js'

/** Where the site's TLS comes from, for the CertificateReady condition. */
export type TlsSource =
  | { readonly kind: 'certificate'; readonly name: string }
  | { readonly kind: 'wildcard'; readonly secretName: string }
  /** The site's own Secret `source`, served from its copy `secretName` in the system namespace. */
  | { readonly kind: 'secret'; readonly source: string; readonly secretName: string }
  | { readonly kind: 'none' }

export interface RenderedSite {
  readonly objects: readonly KubeObject[]
  readonly url: string
  readonly tls: TlsSource
}

/** A normalised path prefix without trailing slash; '' for the domain root. */
export const prefixOf = (site: StaticSite) => (site.spec.pathPrefix ?? '').replace(/\/+$/, '')

const hosts = (domains: readonly string[]) => {
  const rules = domains.map((d) => `Host(\`${d}\`)`)
  return rules.length === 1 ? (rules[0] ?? '') : `(${rules.join(' || ')})`
}

/** `/docs` matches /docs and /docs/…, never /docsearch. */
const underPrefix = (prefix: string) =>
  prefix ? ` && (Path(\`${prefix}\`) || PathPrefix(\`${prefix}/\`))` : ''

/** Escapes a literal for a Go (RE2) regular expression. */
const regexLiteral = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** Escapes a literal for a Go regexp replacement, where `$` starts a group reference. */
const replacementLiteral = (text: string) => text.replaceAll('$', '$$$$')

function tlsSource(
  site: StaticSite,
  config: OperatorConfig,
  domains: readonly string[],
  key: string,
): TlsSource {
  const { tls } = site.spec
  if (tls.mode === 'none') return { kind: 'none' }
  if (tls.mode === 'secret')
    return { kind: 'secret', source: tls.secretName ?? '', secretName: tlsCopyName(key) }
  const covered = (domain: string) =>
    domain.endsWith(`.${config.pagesDomain}`) &&
    !domain.slice(0, -config.pagesDomain.length - 1).includes('.')
  if (config.tls.mode === 'wildcard' && domains.every(covered))
    return { kind: 'wildcard', secretName: config.tls.secretName }
  return { kind: 'certificate', name: certificateName(key) }
}

/** Kind, name and the labels and annotations naming the source site of a generated object. */
function generatedMeta(site: StaticSite, config: OperatorConfig, kind: GeneratedKind, name: string) {
  return {
    apiVersion: GENERATED[kind].apiVersion,
    kind: GENERATED[kind].kind,
    metadata: {
      name,
      namespace: config.systemNamespace,
      labels: { [SITE_LABEL]: siteKeyOfSite(site), [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations: {
        [SOURCE_NAMESPACE]: site.metadata.namespace ?? '',
        [SOURCE_NAME]: site.metadata.name,
      },
    },
  }
}

const siteKeyOfSite = (site: StaticSite) => siteKey(site.metadata.namespace ?? '', site.metadata.name)

/**
 * The copy of a site's own TLS Secret (`tls.mode: secret`, checked by tlsSecretVerdict) in the
 * system namespace, where Traefik reads the Secrets of the site's IngressRoute: only the
 * certificate and key, under `tls-<tag>.<site key>`.
 */
export function renderTlsCopy(site: StaticSite, config: OperatorConfig, secret: SecretObject): KubeObject {
  return {
    ...generatedMeta(site, config, 'Secret', tlsCopyName(siteKeyOfSite(site))),
    type: TLS_SECRET_TYPE,
    data: { 'tls.crt': secret.data?.['tls.crt'] ?? '', 'tls.key': secret.data?.['tls.key'] ?? '' },
  } as KubeObject
}

export function renderSite(
  site: StaticSite,
  config: OperatorConfig,
  domains: readonly string[],
): RenderedSite {
  const key = siteKeyOfSite(site)
  const [canonical = '', ...others] = domains
  const prefix = prefixOf(site)
  const tls = tlsSource(site, config, domains, key)
  const scheme = tls.kind === 'none' ? 'http' : 'https'
  const url = `${scheme}://${canonical}${prefix}/`

  const meta = (kind: GeneratedKind, name: string) => generatedMeta(site, config, kind, name)
  const middlewares: KubeObject[] = []
  const middleware = (purpose: string, spec: Record<string, unknown>) => {
    const name = middlewareName(key, purpose)
    middlewares.push({ ...meta('Middleware', name), spec } as KubeObject)
    return { name }
  }

  const redirects = (site.spec.redirects ?? []).map((rule, index) => {
    const splat = rule.from.endsWith('*')
    const from = regexLiteral(`${prefix}${splat ? rule.from.slice(0, -1) : rule.from}`)
    // A path target stays relative to the visitor's scheme, host and port, as in `hostplane serve`.
    const target = rule.to.startsWith('/') ? `${prefix}${rule.to}` : rule.to
    return middleware(`redirect-${index}`, {
      redirectRegex: {
        regex: `^https?://[^/?]+${from}${splat ? '([^?]*)' : ''}(?:\\?.*)?$`,
        replacement: replacementLiteral(target).replaceAll(':splat', '${1}'),
        permanent: rule.status === 301 || rule.status === 308,
      },
    })
  })
  const headerRules = (site.spec.headers ?? []).map((rule, index) => ({
    path: rule.path,
    ref: middleware(`headers-${index}`, { headers: { customResponseHeaders: rule.set } }),
  }))
  // The bare prefix (`/docs`) is the site's root directory without its slash: redirected like any
  // directory, relatively, before stripPrefix would turn it into an empty path.
  const slash = prefix
    ? [
        middleware('slash', {
          redirectRegex: {
            regex: `^https?://[^/?]+${regexLiteral(prefix)}(\\?.*)?$`,
            replacement: replacementLiteral(`.${prefix.slice(prefix.lastIndexOf('/'))}/`) + '${1}',
            permanent: true,
          },
        }),
      ]
    : []
  const service = { kind: 'Service', name: config.nginx.service, port: config.nginx.port }
  // nginx's one static configuration can only know /<site key>/404.html. The errors middleware
  // keeps the 404 status and asks nginx itself, past addPrefix, so the query names the site key.
  const { notFound = DEFAULT_NOT_FOUND_PAGE } = site.spec
  const notFoundPage =
    notFound === DEFAULT_NOT_FOUND_PAGE
      ? []
      : [
          middleware('not-found', {
            errors: {
              status: ['404'],
              service: { name: service.name, port: service.port },
              query: `/${key}${notFound}`,
            },
          }),
        ]
  const strip = prefix ? [middleware('strip', { stripPrefix: { prefixes: [prefix] } })] : []
  const addPrefix = middleware('prefix', { addPrefix: { prefix: nginxPrefix(key, site.spec.fallback) } })

  const chainFor = (path: string) => [
    ...slash,
    ...redirects,
    ...headerRules.filter((h) => path.startsWith(h.path)).map((h) => h.ref),
    ...notFoundPage,
    ...strip,
    addPrefix,
  ]
  const headerPaths = [...new Set(headerRules.map((h) => h.path).filter((p) => p !== '/'))].sort(
    (a, b) => b.length - a.length || (a < b ? -1 : 1),
  )
  const routes: Record<string, unknown>[] = [
    ...headerPaths.map((path) => ({
      kind: 'Rule',
      match: `${hosts([canonical])} && PathPrefix(\`${prefix}${path}\`)`,
      middlewares: chainFor(path),
      services: [service],
    })),
    {
      kind: 'Rule',
      match: `${hosts([canonical])}${underPrefix(prefix)}`,
      middlewares: chainFor('/'),
      services: [service],
    },
  ]
  // The other domains, and plain HTTP of a site with TLS, reach the canonical URL in one redirect.
  const toCanonical =
    others.length > 0 || tls.kind !== 'none'
      ? middleware('canonical', {
          redirectRegex: {
            regex: '^https?://[^/?]+(.*)$',
            replacement: `${scheme}://${canonical}\${1}`,
            permanent: true,
          },
        })
      : undefined
  if (toCanonical && others.length > 0)
    routes.push({
      kind: 'Rule',
      match: `${hosts(others)}${underPrefix(prefix)}`,
      middlewares: [toCanonical],
      services: [service],
    })

  const objects: KubeObject[] = []
  if (tls.kind === 'certificate')
    objects.push({
      ...meta('Certificate', tls.name),
      spec: {
        secretName: tlsSecretName(key),
        dnsNames: [...domains],
        issuerRef: {
          group: 'cert-manager.io',
          kind: 'ClusterIssuer',
          name: site.spec.tls.clusterIssuer ?? config.defaultIssuer,
        },
      },
    } as KubeObject)
  const secretName =
    tls.kind === 'certificate' ? tlsSecretName(key) : tls.kind === 'none' ? undefined : tls.secretName
  objects.push(...middlewares, {
    ...meta('IngressRoute', routeName(key)),
    spec: {
      entryPoints: [...(tls.kind === 'none' ? config.httpEntryPoints : config.entryPoints)],
      routes,
      ...(secretName ? { tls: { secretName } } : {}),
    },
  } as KubeObject)
  // An IngressRoute with `tls` answers HTTPS only, so visitors who type http:// get their 301 from
  // a second one on the plain entry points. A redirect of the whole `web` entry point in Traefik's
  // static configuration would also catch the sites with `tls.mode: none`.
  if (toCanonical && tls.kind !== 'none')
    objects.push({
      ...meta('IngressRoute', httpRouteName(key)),
      spec: {
        entryPoints: [...config.httpEntryPoints],
        routes: [
          {
            kind: 'Rule',
            match: `${hosts(domains)}${underPrefix(prefix)}`,
            middlewares: [toCanonical],
            services: [service],
          },
        ],
      },
    } as KubeObject)
  return { objects, url, tls }
}
