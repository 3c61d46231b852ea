/**
 * Reads the TLS Secret a site names (`tls.mode: secret`) from the site's own namespace, with one
 * GET when the site is reconciled. The operator may not read Secrets cluster-wide: the platform
 * binds the ClusterRole hostplane-operator-tls-secrets in each tenant namespace, and the
 * operator reads there only the Secrets sites name. It keeps no informer on them, which would
 * cache every Secret of every tenant (git credentials, database passwords) in its memory; the
 * controller rechecks these sites periodically instead (see StaticSiteControllerOptions).
 */
import type { ReconcileResult } from '../../kube/controller-builder.js'
import type { KubeObject } from '../../kube/object.js'
import { isNotFound, KubeApiError, type KubeRest, resourcePath } from '../../kube/rest.js'
import type { SecretObject, TlsSecretRead } from './tls-secret.js'

export type TlsSecretReader = (namespace: string, name: string) => Promise<TlsSecretRead>

export const tlsSecretReader =
  (rest: Pick<KubeRest, 'request'>): TlsSecretReader =>
  async (namespace, name) => {
    try {
      const secret = await rest.request<SecretObject>(
        'GET',
        resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace, name }),
      )
      return { kind: 'found', secret }
    } catch (error) {
      if (isNotFound(error)) return { kind: 'missing' }
      if (error instanceof KubeApiError && error.status === 403) return { kind: 'forbidden' }
      throw error
    }
  }

/** How often a site or webspace with `tls.mode: secret` is reconciled again. */
export const TLS_RECHECK_MS = 5 * 60_000

/**
 * The step of a reconcile, with a recheck after `ms` when the object serves its own TLS Secret:
 * a changed Secret brings no event, and a certificate expires without one.
 */
export const withTlsRecheck = (
  result: ReconcileResult,
  object: (KubeObject & { spec: { tls: { mode: string } } }) | undefined,
  ms = TLS_RECHECK_MS,
): ReconcileResult => {
  if (object?.spec.tls.mode !== 'secret' || object.metadata.deletionTimestamp) return result
  if (typeof result === 'string') return { step: result, requeueAfterMs: ms }
  return { step: result.step, requeueAfterMs: Math.min(ms, result.requeueAfterMs) }
}
