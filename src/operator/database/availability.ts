/**
 * Whether this operator can run the Database controllers: the Database CRDs installed and its
 * RBAC letting it list them. An operator whose install predates Databases (new code rolled out
 * before the new RBAC, or an install without the CRDs) keeps hosting sites and webspaces and says
 * once what is missing, instead of never becoming ready while it waits for a list it may not make.
 */
import { KubeApiError, type KubeRest, resourcePath } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { DATABASE_SERVERS, DATABASES } from './owned.js'

export async function databasesAvailable(rest: Pick<KubeRest, 'request'>, log: Logger): Promise<boolean> {
  for (const kind of [DATABASES, DATABASE_SERVERS])
    try {
      await rest.request('GET', resourcePath(kind), { query: { limit: '1' } })
    } catch (error) {
      if (!(error instanceof KubeApiError) || (error.status !== 403 && error.status !== 404)) return true
      log.warn(
        { resource: kind.plural, status: error.status },
        error.status === 404
          ? 'Databases are not reconciled: the Database CRDs are not installed (apply the current install)'
          : 'Databases are not reconciled: the operator may not list them (apply the current install’s RBAC, then restart the operator)',
      )
      return false
    }
  return true
}
