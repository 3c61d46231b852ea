/**
 * The shared request table (test/serving/table.ts) through the real cluster path: the table's
 * sites are StaticSites routed by `hostplane operator`, Traefik applies the routes as rendered and
 * forwards to Debian's nginx, which serves trees published as the syncer lays them out. Every row
 * whose rule belongs to Traefik or nginx is sent to Traefik exactly as a visitor sends it.
 */
import { after, before, describe, it } from 'node:test'
import type { StaticSiteSpec } from '../../src/api/staticsite.js'
import { siteKey } from '../../src/api/site-key.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { checkRow } from '../serving/check-row.js'
import { nginxUnavailable } from '../serving/nginx-for-tests.js'
import { publishTree } from '../serving/published-tree.js'
import { ROWS, SITES, TREES } from '../serving/table.js'
import { podAddressUnavailable } from '../traefik/pod-address.js'
import { traefikUnavailable } from '../traefik/traefik.js'
import { PagesStack } from './pages-stack.js'

const env = await clusterForTests()
const skip =
  env.skip || (await nginxUnavailable()) || (await traefikUnavailable()) || (await podAddressUnavailable())

type SiteName = keyof typeof SITES

/** The StaticSite a table site stands for; plain HTTP, as the table's requests are. */
function specOf(name: SiteName): Partial<StaticSiteSpec> {
  const { domains, pathPrefix, headers, redirects, notFound, fallback } = SITES[name]
  return {
    repo: `https://git.example.com/${name}.git`,
    domains: [...domains],
    tls: { mode: 'none' },
    ...(pathPrefix ? { pathPrefix } : {}),
    ...(headers.length ? { headers: headers.map((h) => ({ path: h.path, set: { ...h.set } })) } : {}),
    ...(redirects.length ? { redirects: redirects.map((r) => ({ ...r })) } : {}),
    ...(notFound !== '/404.html' ? { notFound } : {}),
    ...(fallback !== 'notFound' ? { fallback } : {}),
  }
}

describe(
  'the shared table through real Traefik and nginx, with the table’s sites as StaticSites',
  { skip },
  () => {
    let stack: PagesStack

    before(async () => {
      stack = await PagesStack.start(await env.get(), { name: 'table' })
      const { test } = stack
      for (const name of Object.keys(SITES) as SiteName[]) {
        const namespace = await test.createNamespace(`t-table-${name}-${test.tag}`)
        await publishTree(stack.sitesRoot, siteKey(namespace, name), 'c1', TREES[name])
        await test.createSite(namespace, name, specOf(name))
        await test.waitForCondition(namespace, name, 'Routed', 'True')
      }
      // Traefik has the routes once every site's root answers from nginx.
      for (const site of Object.values(SITES)) {
        const path = site.pathPrefix ? `${site.pathPrefix}/` : '/'
        await stack
          .requestUntil({ path, headers: { Host: site.domains[0] ?? '' } }, (r) => r.status === 200)
          .catch(async (error: unknown) => {
            throw new Error(`${(error as Error).message}\n${await stack.logs()}`)
          })
      }
    })

    after(async () => {
      await stack?.stop()
      await env.release()
    })

    for (const row of ROWS.filter((r) => r.layer !== 'standalone')) {
      it(`${row.name} [${row.layer}]`, () =>
        checkRow(stack.traefik.web, row, row.path, row.viaTraefik ?? row.expect))
    }
  },
)
