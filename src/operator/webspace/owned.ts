/**
 * The kinds a Webspace owns (as renderWebspace renders them), all in its namespace and labelled
 * `hostplane.dev/webspace=<name>`, so one label-selected informer per kind holds all of them.
 */
import { API_VERSION } from '../../api/kind.js'
import type { KubeObject } from '../../kube/object.js'
import { PREVIEW_LABEL } from './preview.js'
import { WEBSPACE_LABEL } from '../../api/webspace.js'

export const WEBSPACES = { apiVersion: API_VERSION, kind: 'Webspace', plural: 'webspaces' } as const
export const RUNTIMES = { apiVersion: API_VERSION, kind: 'Runtime', plural: 'runtimes' } as const
export const RELEASES = { apiVersion: API_VERSION, kind: 'Release', plural: 'releases' } as const

export const WEBSPACE_OWNED = {
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments' },
  Service: { apiVersion: 'v1', plural: 'services' },
  IngressRoute: { apiVersion: 'traefik.io/v1alpha1', plural: 'ingressroutes' },
  Certificate: { apiVersion: 'cert-manager.io/v1', plural: 'certificates' },
  PersistentVolumeClaim: { apiVersion: 'v1', plural: 'persistentvolumeclaims' },
  HorizontalPodAutoscaler: { apiVersion: 'autoscaling/v2', plural: 'horizontalpodautoscalers' },
  PodDisruptionBudget: { apiVersion: 'policy/v1', plural: 'poddisruptionbudgets' },
} as const

export type WebspaceOwnedKind = keyof typeof WEBSPACE_OWNED
export const WEBSPACE_OWNED_KINDS = Object.values(WEBSPACE_OWNED)
export const WEBSPACE_SELECTOR = WEBSPACE_LABEL

/**
 * The `namespace/name` key of the Webspace an owned object belongs to. Its name decides, as
 * renderWebspace names every object after its webspace (the Certificate `<name>-tls`), and the
 * label only selects it: an object relabelled to another webspace stays its own webspace's, and
 * is never pruned by the other as an object it no longer needs. A branch preview's objects are
 * named `<webspace>-p-<hash>` and labelled with that hash (preview.ts).
 */
export const webspaceOf = (object: KubeObject): string | undefined => {
  const { name, namespace, labels } = object.metadata
  const preview = labels?.[PREVIEW_LABEL]
  const owner =
    object.kind === 'Certificate'
      ? name.replace(/-tls$/, '')
      : preview && name.endsWith(`-p-${preview}`)
        ? name.slice(0, -`-p-${preview}`.length)
        : name
  return namespace ? `${namespace}/${owner}` : undefined
}
