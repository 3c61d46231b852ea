/**
 * Generated objects moved between sites: by a name two sites would both generate, by a hand
 * relabel, by a hand edit. Each case once broke a site while its status said Routed=True, or
 * held a namespace in Terminating. The checks compare the API server with what renderSite says
 * each site needs, so they hold whatever the objects are named.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { siteKey } from '../../src/api/site-key.js'
import { containsDesired } from '../../src/kube/apply.js'
import { findCondition } from '../../src/kube/conditions.js'
import { objectRef } from '../../src/kube/manifest-path.js'
import type { KubeList, KubeObject } from '../../src/kube/object.js'
import { isNotFound, KubeRest, resourcePath } from '../../src/kube/rest.js'
import type { Operator } from '../../src/operator/operator.js'
import { GENERATED, SITE_LABEL } from '../../src/operator/staticsite/generated.js'
import { renderSite } from '../../src/operator/staticsite/render.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep } from '../cluster/process.js'
import { OperatorEnv } from './harness.js'

const env = await clusterForTests()

interface Route {
  kind: string
  match: string
  middlewares?: { name: string }[]
  services: unknown[]
}
type IngressRoute = KubeObject & { spec: { routes: Route[]; tls?: unknown } }

describe('generated objects that move between sites, on a real API server', { skip: env.skip }, () => {
  let test: OperatorEnv
  let operator: Operator
  // A long resync: every repair below must come from the watch events of the change itself.
  const start = () => test.startOperator({ resyncMs: 10 * 60_000 })

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'relabel')
    await test.setUp()
    operator = await start()
  })

  after(async () => {
    await operator?.stop()
    await test?.tearDown()
    test?.admin.close()
    await env.release()
  })

  const get = (object: KubeObject) =>
    test.admin.request<KubeObject>('GET', resourcePath(objectRef(object))).catch((error: unknown) => {
      if (isNotFound(error)) return undefined
      throw error
    })

  /** What is wrong with the site's routing on the API server, or undefined when Routed=True is the truth. */
  async function untruth(namespace: string, name: string): Promise<string | undefined> {
    const site = await test.getSite(namespace, name)
    if (!site) return `${namespace}/${name} does not exist`
    const routed = findCondition(site.status?.conditions, 'Routed')
    if (site.status?.observedGeneration !== site.metadata.generation || routed?.status !== 'True')
      return `${namespace}/${name} is not Routed=True for its generation`
    for (const desired of renderSite(site, test.config, site.spec.domains ?? []).objects) {
      const live = await get(desired)
      const what = `${namespace}/${name} says Routed=True, but its ${desired.kind} ${desired.metadata.name}`
      if (!live) return `${what} does not exist`
      if (!containsDesired(live, desired)) return `${what} is not what the operator renders`
    }
    return undefined
  }

  /** Waits until both sites are truly routed, then checks they stay so once the operator has settled. */
  async function assertTrulyRouted(namespace: string, names: readonly string[]) {
    let last: string | undefined
    await test
      .waitUntil(`${names.join(' and ')} truly routed`, async () => {
        for (const name of names) if ((last = await untruth(namespace, name))) return undefined
        return true
      })
      .catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; last: ${last}`)
      })
    await sleep(2000)
    for (const name of names) assert.equal(await untruth(namespace, name), undefined)
  }

  async function generatedObjects(): Promise<KubeObject[]> {
    const lists = await Promise.all(
      Object.values(GENERATED).map((kind) =>
        test.admin.request<KubeList<KubeObject>>(
          'GET',
          resourcePath({ ...kind, namespace: test.systemNamespace }),
        ),
      ),
    )
    return lists.flatMap((list, i) =>
      list.items.map((item) => ({ ...item, kind: Object.values(GENERATED)[i]?.kind ?? '' })),
    )
  }

  /** The site's generated object of this kind that `pick` selects, as the operator lists it in status. */
  async function resourceOf(namespace: string, name: string, kind: string, pick: (o: KubeObject) => boolean) {
    const site = await test.getSite(namespace, name)
    for (const ref of site?.status?.resources ?? []) {
      if (ref.kind !== kind) continue
      const object = await get({
        ...ref,
        metadata: { name: ref.name, namespace: ref.namespace },
      } as KubeObject)
      if (object && pick({ ...object, kind })) return object
    }
    throw new Error(`${namespace}/${name} has no such ${kind} in status.resources`)
  }

  /** Touches a site (an annotation, no new generation) so that the operator reconciles it now. */
  const touch = (namespace: string, name: string) =>
    test.admin.request('PATCH', test.sitePath(namespace, name), {
      body: { metadata: { annotations: { 'test.hostplane.dev/touched': String(Date.now()) } } },
      contentType: 'application/merge-patch+json',
    })

  it('routes sites x and x-http of one namespace each to its own content, also after an operator restart', async () => {
    const namespace = await test.createNamespace(`t-relabel-a-${test.tag}`)
    await test.createSite(namespace, 'x', { domains: ['x.a.test'] })
    await test.createSite(namespace, 'x-http', { domains: ['x-http.a.test'] })
    await assertTrulyRouted(namespace, ['x', 'x-http'])
    await operator.stop()
    operator = await start()
    await assertTrulyRouted(namespace, ['x', 'x-http'])
  })

  it('deletes a namespace with sites completely after one site’s Middleware was relabelled to the other', async () => {
    const namespace = await test.createNamespace(`t-relabel-b-${test.tag}`)
    await test.createSite(namespace, 'one', { domains: ['one.b.test'] })
    await test.createSite(namespace, 'two', { domains: ['two.b.test'] })
    await assertTrulyRouted(namespace, ['one', 'two'])
    const middleware = await resourceOf(namespace, 'one', 'Middleware', () => true)
    await test.admin.request('PATCH', resourcePath(objectRef({ ...middleware, kind: 'Middleware' })), {
      body: { metadata: { labels: { [SITE_LABEL]: siteKey(namespace, 'two') } } },
      contentType: 'application/merge-patch+json',
    })
    await touch(namespace, 'two')
    await sleep(2000)
    await test.admin.request('DELETE', `/api/v1/namespaces/${namespace}`)
    await test.waitUntil(
      `namespace ${namespace} is deleted`,
      async () =>
        (await test.admin.request('GET', `/api/v1/namespaces/${namespace}`).catch((error: unknown) => {
          if (isNotFound(error)) return undefined
          throw error
        }))
          ? undefined
          : true,
      60_000,
    )
    const keys = [siteKey(namespace, 'one'), siteKey(namespace, 'two')]
    const left = (await generatedObjects()).filter((o) =>
      keys.includes(o.metadata.labels?.[SITE_LABEL] ?? ''),
    )
    assert.deepEqual(
      left.map((o) => `${o.kind}/${o.metadata.name}`),
      [],
      'generated objects left behind',
    )
  })

  it('on upgrade replaces the objects earlier operators named <key>-<part>, keeping the Certificate', async () => {
    const namespace = await test.createNamespace(`t-relabel-d-${test.tag}`)
    const key = siteKey(namespace, 'up')
    await operator.stop()
    await test.createSite(namespace, 'up', { domains: ['up.d.test'] })
    const metadata = (name: string) => ({
      name,
      namespace: test.systemNamespace,
      labels: { [SITE_LABEL]: key, 'app.kubernetes.io/managed-by': 'hostplane' },
      annotations: { 'hostplane.dev/source-namespace': namespace, 'hostplane.dev/source-name': 'up' },
    })
    const route = (name: string) => ({
      ...GENERATED.IngressRoute,
      metadata: metadata(name),
      spec: {
        routes: [{ kind: 'Rule', match: 'Host(`up.d.test`)', services: [{ name: 'nginx', port: 80 }] }],
      },
    })
    const legacy = [
      route(key),
      route(`${key}-http`),
      {
        ...GENERATED.Middleware,
        metadata: metadata(`${key}-prefix`),
        spec: { addPrefix: { prefix: `/${key}` } },
      },
    ]
    const certificate = {
      ...GENERATED.Certificate,
      metadata: metadata(key),
      spec: {
        secretName: `${key}-tls`,
        dnsNames: ['up.d.test'],
        issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'test-issuer' },
      },
    }
    const created: KubeObject[] = []
    for (const object of [...legacy, certificate])
      created.push(
        await test.admin.request<KubeObject>(
          'POST',
          resourcePath({ ...objectRef(object as KubeObject), name: undefined }),
          { body: object },
        ),
      )
    operator = await start()
    await assertTrulyRouted(namespace, ['up'])
    for (const object of legacy)
      assert.equal(
        await get(object as KubeObject),
        undefined,
        `${object.kind} ${object.metadata.name} is deleted`,
      )
    const kept = await get(certificate as KubeObject)
    assert.equal(kept?.metadata.uid, created.at(-1)?.metadata.uid, 'the same Certificate, not a new one')
  })

  it('undoes a hand edit that adds a host and relabels a route to another site: the victim keeps its route, evil.test is not routed', async () => {
    const victims = await test.createNamespace(`t-relabel-c1-${test.tag}`)
    const others = await test.createNamespace(`t-relabel-c2-${test.tag}`)
    await test.createSite(victims, 'shop', { domains: ['shop.c.test'] })
    await test.createSite(others, 'blog', { domains: ['blog.c.test'] })
    await assertTrulyRouted(victims, ['shop'])
    await assertTrulyRouted(others, ['blog'])
    const route = (await resourceOf(victims, 'shop', 'IngressRoute', (o) =>
      Boolean((o as IngressRoute).spec.tls),
    )) as IngressRoute
    const [first] = route.spec.routes
    assert.ok(first)
    await test.admin.request('PATCH', resourcePath(objectRef({ ...route, kind: 'IngressRoute' })), {
      body: {
        metadata: { labels: { [SITE_LABEL]: siteKey(others, 'blog') } },
        spec: { routes: [...route.spec.routes, { ...first, match: 'Host(`evil.test`)' }] },
      },
      contentType: 'application/merge-patch+json',
    })
    await touch(others, 'blog')
    await test.waitUntil('no generated object routes evil.test', async () =>
      (await generatedObjects()).some((o) => JSON.stringify(o).includes('evil.test')) ? undefined : true,
    )
    await touch(others, 'blog')
    await assertTrulyRouted(victims, ['shop'])
    await assertTrulyRouted(others, ['blog'])
    assert.ok(!(await generatedObjects()).some((o) => JSON.stringify(o).includes('evil.test')))
  })
})
