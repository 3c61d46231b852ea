/**
 * The kinds the StaticSite operator generates, and how a generated object names its source:
 * the site-key label (for label selectors and per-site lookups) and the source namespace and
 * name as annotations (a name may be longer than a label value allows).
 */
import type { KubeObject } from '../../kube/object.js'

export const GENERATED = {
  IngressRoute: { apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', plural: 'ingressroutes' },
  Middleware: { apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', plural: 'middlewares' },
  Certificate: { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', plural: 'certificates' },
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
