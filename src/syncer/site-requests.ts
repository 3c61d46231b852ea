/**
 * What a user asks of the syncer through a StaticSite, the same from `hostplane sync` and the
 * panel: sync now (a fresh token in the `hostplane.dev/requested-sync` annotation, which the
 * syncer answers in status.lastHandledSyncRequest) and serve a kept revision again (spec.ref set
 * to its full commit id, which the syncer serves from disk without git: docs/syncer.md). One merge
 * patch each, sent with the caller's client, so Kubernetes RBAC decides.
 */
import type { StaticSite } from '../api/resources.js'
import { REQUESTED_SYNC_ANNOTATION } from '../api/staticsite.js'
import type { KubeRest } from '../kube/rest.js'

type Api = Pick<KubeRest, 'request'>

const mergePatch = (api: Api, path: string, body: unknown) =>
  api.request<StaticSite>('PATCH', path, { body, contentType: 'application/merge-patch+json' })

/** Asks the syncer to sync the site at `path` now; `token` is what it echoes once handled. */
export const requestSync = (api: Api, path: string, token: string): Promise<StaticSite> =>
  mergePatch(api, path, { metadata: { annotations: { [REQUESTED_SYNC_ANNOTATION]: token } } })

/** The kept revision `commit` names (its full id), or undefined when the site keeps no such revision. */
export const keptRevision = (site: Pick<StaticSite, 'status'>, commit: string) =>
  site.status?.revisions?.find((revision) => revision.commit === commit)

/** Serves the kept revision `commit` again: the site's spec.ref becomes that commit id. */
export const rollbackSite = (api: Api, path: string, commit: string): Promise<StaticSite> =>
  mergePatch(api, path, { spec: { ref: commit } })
