/**
 * Generated names as Traefik reads them, with real Traefik, operator and nginx: sites whose site
 * keys differ only in `-` and `.` (which Traefik folds into one `-` in its own names) each serve
 * their own files, and a route edited by hand to answer another host and relabelled to another
 * site is put back before that host is served.
 */
import { after, before, describe, it } from 'node:test'
import { siteKey } from '../../src/api/site-key.js'
import type { KubeObject } from '../../src/kube/object.js'
import { resourcePath } from '../../src/kube/rest.js'
import { GENERATED, routeName, SITE_LABEL } from '../../src/operator/staticsite/generated.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { nginxUnavailable } from '../serving/nginx-for-tests.js'
import { publishTree } from '../serving/published-tree.js'
import { podAddressUnavailable } from '../traefik/pod-address.js'
import { traefikUnavailable } from '../traefik/traefik.js'
import { PagesStack } from './pages-stack.js'

const env = await clusterForTests()
const skip =
  env.skip || (await nginxUnavailable()) || (await traefikUnavailable()) || (await podAddressUnavailable())

type IngressRoute = KubeObject & { spec: { routes: { match: string }[] } }

describe('generated names through real Traefik', { skip }, () => {
  let stack: PagesStack
  // Namespaces `<n>` and `<n>-x` with sites `x-blog` and `blog`: keys `<n>--x-blog` and `<n>-x--blog`.
  const sites: { namespace: string; name: string; domain: string }[] = []

  const page = (domain: string) => `<p>${domain}</p>\n`
  const serves = (host: string, accept: (status: number, body: string) => boolean) =>
    stack
      .requestUntil({ path: '/', headers: { Host: host } }, (r) => accept(r.status, r.body))
      .catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}\n${await stack.logs()}`)
      })

  before(async () => {
    stack = await PagesStack.start(await env.get(), { name: 'names' })
    const { test } = stack
    const base = `t-names-${test.tag}`
    for (const [namespace, name, domain] of [
      [base, 'x-blog', 'one.names.test'],
      [`${base}-x`, 'blog', 'two.names.test'],
    ] as const) {
      await test.createNamespace(namespace)
      await publishTree(stack.sitesRoot, siteKey(namespace, name), 'c1', { 'index.html': page(domain) })
      await test.createSite(namespace, name, { domains: [domain], tls: { mode: 'none' } })
      await test.waitForCondition(namespace, name, 'Routed', 'True')
      sites.push({ namespace, name, domain })
    }
  })

  after(async () => {
    await stack?.stop()
    await env.release()
  })

  it('serves each of two sites whose keys Traefik would read alike its own files', async () => {
    for (const { domain } of sites)
      await serves(domain, (status, body) => status === 200 && body === page(domain))
  })

  it('never serves a host added by hand to a route relabelled to another site, and keeps the route of its own site', async () => {
    const [victim, other] = sites
    if (!victim || !other) throw new Error('two sites expected')
    const path = resourcePath({
      ...GENERATED.IngressRoute,
      namespace: stack.test.systemNamespace,
      name: routeName(siteKey(victim.namespace, victim.name)),
    })
    const route = await stack.admin.request<IngressRoute>('GET', path)
    const [first] = route.spec.routes
    await stack.admin.request('PATCH', path, {
      body: {
        metadata: { labels: { [SITE_LABEL]: siteKey(other.namespace, other.name) } },
        spec: { routes: [...route.spec.routes, { ...first, match: 'Host(`evil.test`)' }] },
      },
      contentType: 'application/merge-patch+json',
    })
    await stack.test.waitUntil('the operator puts the route back', async () => {
      const now = await stack.admin.request<IngressRoute>('GET', path)
      const own = now.metadata.labels?.[SITE_LABEL] === siteKey(victim.namespace, victim.name)
      return own && !JSON.stringify(now.spec).includes('evil.test') ? true : undefined
    })
    await serves('evil.test', (status) => status === 404)
    for (const { domain } of sites)
      await serves(domain, (status, body) => status === 200 && body === page(domain))
  })
})
