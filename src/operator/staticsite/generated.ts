/**
 * The kinds the StaticSite operator generates, their names, and how a generated object names its
 * source: the site-key label (for label selectors and per-site lookups) and the source namespace
 * and name as annotations (a name may be longer than a label value allows).
 */
import { keyOfPartName, partName } from '../../api/site-key.js'
import type { KubeObject } from '../../kube/object.js'

export const GENERATED = {
  IngressRoute: { apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', plural: 'ingressroutes' },
  Middleware: { apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', plural: 'middlewares' },
  Certificate: { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', plural: 'certificates' },
  /** Only copies of sites' own TLS Secrets (`tls.mode: secret`), named `tls-<tag>.<site key>`. */
  Secret: { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
} as const

export type GeneratedKind = keyof typeof GENERATED
export const GENERATED_KINDS = Object.values(GENERATED)

export const SITE_LABEL = 'hostplane.dev/site'
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const MANAGED_BY = 'hostplane'
export const SOURCE_NAMESPACE = 'hostplane.dev/source-namespace'
export const SOURCE_NAME = 'hostplane.dev/source-name'

/** Selects every object the operator generated for any site. */
export const GENERATED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY},${SITE_LABEL}`

/** `namespace/name` of the StaticSite an object was generated for, when it carries the annotations. */
export function sourceOf(object: KubeObject): string | undefined {
  const namespace = object.metadata.annotations?.[SOURCE_NAMESPACE]
  const name = object.metadata.annotations?.[SOURCE_NAME]
  return namespace && name ? `${namespace}/${name}` : undefined
}

/**
 * Object names (rule in site-key.ts): the Certificate is named by the site key, as cert-manager
 * copies its name into label values; IngressRoutes and Middlewares are `<part>-<tag>.<site key>`.
 */
export const certificateName = (key: string) => key
/** The Certificate's Secret: unique among Secrets, as only Certificates name Secrets `<key>-tls`. */
export const tlsSecretName = (key: string) => `${key}-tls`
/**
 * The copy of a site's own TLS Secret: `tls-` first, as the admission policy lets the operator
 * write only Secrets so named in the system namespace, and never `<key>-tls` of a Certificate.
 */
export const tlsCopyName = (key: string) => partName(key, 'tls')
export const routeName = (key: string) => partName(key, 'route')
export const httpRouteName = (key: string) => partName(key, 'http')
export const middlewareName = (key: string, purpose: string) => partName(key, purpose)

/**
 * The site key an object belongs to. Its name decides, as that is what the routes and the
 * Certificate refer to: an object named for site A but labelled for site B stays A's, so A's
 * reconcile restores it and B's never deletes it as its own extra object. Only names outside the
 * rule (older operators named objects `<key>-<part>`) fall back to the label, so their site
 * deletes them as no longer desired.
 */
export function siteKeyOf(object: KubeObject): string | undefined {
  const byName =
    object.kind === GENERATED.Certificate.kind ? object.metadata.name : keyOfPartName(object.metadata.name)
  return byName ?? object.metadata.labels?.[SITE_LABEL]
}
