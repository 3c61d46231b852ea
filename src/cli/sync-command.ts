/**
 * What `hostplane sync` does once its flags are parsed: one merge patch of the site's
 * `hostplane.dev/requested-sync` annotation with a fresh token, then (with `--wait`) polls the
 * site until `status.lastHandledSyncRequest` is that token and reports the `Synced` condition.
 */
import type { StaticSite } from '../api/resources.js'
import { GROUP, VERSION } from '../api/kind.js'
import { REQUESTED_SYNC_ANNOTATION } from '../api/staticsite.js'
import { loadKubeConfig } from '../kube/kubeconfig.js'
import { KubeRest, resourcePath } from '../kube/rest.js'
import { requestSync } from '../syncer/site-requests.js'
import { apiRefusal } from './api-refusal.js'
import type { SyncFlags } from './sync.js'

const POLL_MS = 500

/** Where a requested sync stands, read from the site. */
export type SyncRequestState =
  { readonly done: false } | { readonly done: true; readonly ok: boolean; readonly summary: string }

export function syncRequestState(site: Pick<StaticSite, 'status'>, token: string): SyncRequestState {
  if (site.status?.lastHandledSyncRequest !== token) return { done: false }
  const synced = site.status.conditions?.find((c) => c.type === 'Synced')
  if (!synced) return { done: true, ok: false, summary: 'handled, but the site has no Synced condition' }
  const summary = `${synced.reason}: ${synced.message}`
  return { done: true, ok: synced.status === 'True', summary }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function syncCommand(
  name: string,
  flags: SyncFlags,
  out: NodeJS.WritableStream,
  now: () => Date = () => new Date(),
): Promise<void> {
  const kubeConfig = await loadKubeConfig({ file: flags.kubeconfig })
  const namespace = flags.namespace ?? kubeConfig.namespace ?? 'default'
  const what = `StaticSite ${namespace}/${name}`
  const path = resourcePath({ apiVersion: `${GROUP}/${VERSION}`, plural: 'staticsites', namespace, name })
  const rest = new KubeRest(kubeConfig, { userAgent: 'hostplane-sync' })
  try {
    const token = now().toISOString()
    try {
      await requestSync(rest, path, token)
    } catch (error) {
      throw apiRefusal(error, what)
    }
    if (!flags.wait) {
      out.write(`${what}: sync requested (${REQUESTED_SYNC_ANNOTATION}=${token})\n`)
      return
    }
    const deadline = Date.now() + flags.timeout
    for (;;) {
      let site: StaticSite
      try {
        site = await rest.request<StaticSite>('GET', path)
      } catch (error) {
        throw apiRefusal(error, what)
      }
      const state = syncRequestState(site, token)
      if (state.done && state.ok) {
        out.write(`${what}: synced: ${state.summary}\n`)
        return
      }
      if (state.done) throw new Error(`${what}: sync failed: ${state.summary}`)
      if (Date.now() >= deadline)
        throw new Error(
          `${what}: the syncer did not handle the request within ${Math.round(flags.timeout / 1000)}s; is hostplane syncer running, and does it watch this namespace?`,
        )
      await sleep(POLL_MS)
    }
  } finally {
    rest.close()
  }
}
