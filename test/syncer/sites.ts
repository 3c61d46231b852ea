/** StaticSites on a test cluster, as the syncer's tests read them. */
import assert from 'node:assert/strict'
import type { StaticSite } from '../../src/api/resources.js'
import { API_VERSION } from '../../src/api/kind.js'
import { type KubeRest, resourcePath } from '../../src/kube/rest.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const sitePath = (namespace: string, name?: string) =>
  resourcePath({ apiVersion: API_VERSION, plural: 'staticsites', namespace, name })

export const syncedOf = (site: StaticSite) => site.status?.conditions?.find((c) => c.type === 'Synced')

/** Polls the site until `check` holds; fails with the last status seen. */
export async function waitForSite(
  rest: KubeRest,
  namespace: string,
  name: string,
  check: (site: StaticSite) => boolean,
  ms = 20_000,
): Promise<StaticSite> {
  const deadline = Date.now() + ms
  let site = await rest.request<StaticSite>('GET', sitePath(namespace, name))
  while (!check(site)) {
    if (Date.now() > deadline) assert.fail(`${namespace}/${name}: ${JSON.stringify(site.status)}`)
    await sleep(100)
    site = await rest.request<StaticSite>('GET', sitePath(namespace, name))
  }
  return site
}
