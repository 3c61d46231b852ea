/**
 * Whether this operator can run the controllers of newer kinds (Databases, Backups): their CRDs
 * installed and its RBAC letting it list them. An operator whose install predates them (new code
 * rolled out before the new RBAC, or an install without the CRDs) keeps hosting sites and
 * webspaces and says once what is missing, instead of never becoming ready while it waits for a
 * list it may not make.
 */
import { KubeApiError, type KubeRest, resourcePath } from '../kube/rest.js'
import type { Logger } from '../ops/log.js'

export async function kindsAvailable(
  rest: Pick<KubeRest, 'request'>,
  log: Logger,
  what: string,
  kinds: readonly { readonly apiVersion: string; readonly plural: string }[],
): Promise<boolean> {
  for (const kind of kinds)
    try {
      await rest.request('GET', resourcePath(kind), { query: { limit: '1' } })
    } catch (error) {
      if (!(error instanceof KubeApiError) || (error.status !== 403 && error.status !== 404)) return true
      log.warn(
        { resource: kind.plural, status: error.status },
        error.status === 404
          ? `${what} are not reconciled: the ${kind.plural} CRD is not installed (apply the current install)`
          : `${what} are not reconciled: the operator may not list ${kind.plural} (apply the current install’s RBAC, then restart the operator)`,
      )
      return false
    }
  return true
}
