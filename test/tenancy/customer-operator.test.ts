import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { siteKey } from '../../src/api/site-key.js'
import { findCondition } from '../../src/kube/conditions.js'
import type { KubeList, KubeObject } from '../../src/kube/object.js'
import { isNotFound, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { FINALIZER, REASON } from '../../src/operator/customer/conditions.js'
import { CUSTOMERS } from '../../src/operator/customer/owned.js'
import { REASON as SITE_REASON } from '../../src/operator/staticsite/conditions.js'
import { REASON as WEBSPACE_REASON } from '../../src/operator/webspace/conditions.js'
import { customerAccessName, QUOTA_NAME } from '../../src/operator/customer/names.js'
import type { Operator } from '../../src/operator/operator.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep } from '../cluster/process.js'
import { apiWrites, OperatorEnv } from '../operator/harness.js'

const env = await clusterForTests()
const RBAC = { apiVersion: 'rbac.authorization.k8s.io/v1' }

interface Quota extends KubeObject {
  spec: { hard: Record<string, string> }
}

describe('the Customer operator on a real API server', { skip: env.skip }, () => {
  let test: OperatorEnv
  let operator: Operator
  const get = <T extends KubeObject>(path: string) =>
    test.admin.request<T>('GET', path).catch((error: unknown) => {
      if (isNotFound(error)) return undefined
      throw error
    })
  const namespacePath = (name: string) => `/api/v1/namespaces/${name}`
  const quotaPath = (namespace: string) =>
    resourcePath({ apiVersion: 'v1', plural: 'resourcequotas', namespace, name: QUOTA_NAME })

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'cust')
    await test.setUp()
    operator = await test.startOperator({ resyncMs: 1000 })
  })

  after(async () => {
    await operator?.stop()
    await test?.tearDown()
    test?.admin.close()
    await env.release()
  })

  it('gives a new Customer its namespace, quota and tenant bindings with its own token, reports Ready, and writes nothing when idle', async () => {
    const name = `acme-${test.tag}`
    await test.createCustomer(name)
    const customer = await test.waitForCustomer(name, 'Ready', 'True', REASON.Ready)
    assert.equal(customer.status?.namespace, `sh-${name}`)
    assert.ok(customer.metadata.finalizers?.includes(FINALIZER))
    const namespace = await get<KubeObject>(namespacePath(`sh-${name}`))
    assert.equal(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted')
    assert.equal((await get<Quota>(quotaPath(`sh-${name}`)))?.spec.hard.pods, '10')
    const bindings = await test.admin.request<{ items: (KubeObject & { roleRef: { name: string } })[] }>(
      'GET',
      resourcePath({ ...RBAC, plural: 'rolebindings', namespace: `sh-${name}` }),
    )
    assert.deepEqual(bindings.items.map((b) => b.roleRef.name).sort(), [
      'hostplane-operator-tls-secrets',
      'hostplane-syncer-secrets',
      'hostplane-tenant',
    ])
    assert.ok(
      await get(resourcePath({ ...RBAC, plural: 'clusterrolebindings', name: customerAccessName(name) })),
    )

    assert.deepEqual(await test.eventReasons('Customer', name), [REASON.NamespaceCreated])

    const before = await apiWrites(operator)
    await sleep(2500)
    assert.equal(await apiWrites(operator), before, 'idle resyncs write nothing')
  })

  it('suspending a Customer takes its StaticSites offline (no route, Certificate kept) and resuming restores them, with Events', async () => {
    const name = `pause-${test.tag}`
    await test.createCustomer(name)
    await test.waitForCustomer(name, 'Ready', 'True', REASON.Ready)
    const namespace = `sh-${name}`
    const key = siteKey(namespace, 'blog')
    await test.createSite(namespace, 'blog', { domains: [`blog.${name}.example`] })
    await test.waitForCondition(namespace, 'blog', 'Routed', 'True')

    await test.updateCustomer(name, { suspended: true })
    const customer = await test.waitForCustomer(name, 'Suspended', 'True', REASON.CustomerSuspended)
    assert.match(customer.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /sites/)
    const site = await test.waitForCondition(
      namespace,
      'blog',
      'Routed',
      'False',
      SITE_REASON.CustomerSuspended,
    )
    assert.match(site.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', new RegExp(name))
    assert.equal(site.status?.url, undefined)
    await test.waitUntil('the route is gone', async () =>
      (await test.generated('IngressRoute', key)).length === 0 ? true : undefined,
    )
    assert.deepEqual(await test.generated('Middleware', key), [])
    assert.equal((await test.generated('Certificate', key)).length, 1, 'the Certificate is kept')

    await test.updateCustomer(name, { suspended: false })
    await test.waitForCondition(namespace, 'blog', 'Routed', 'True', SITE_REASON.RouteApplied)
    assert.equal((await test.generated('IngressRoute', key)).length, 2, 'the site and its HTTP → HTTPS route')
    assert.deepEqual(await test.eventReasons('Customer', name), [
      REASON.NamespaceCreated,
      REASON.CustomerSuspended,
      REASON.Active,
    ])
    const siteEvents = await test.eventReasons('StaticSite', 'blog', namespace)
    assert.ok(siteEvents.includes(SITE_REASON.CustomerSuspended), siteEvents.join(','))
  })

  it('reports a suspended customer as not Ready, and a move to dedicated keeps the namespace with the larger quota', async () => {
    const name = `tier-${test.tag}`
    await test.createCustomer(name, { size: 'large' })
    await test.waitForCustomer(name, 'Ready', 'True', REASON.Ready)
    await test.updateCustomer(name, { suspended: true })
    const suspended = await test.waitForCustomer(name, 'Ready', 'False', REASON.CustomerSuspended)
    assert.match(suspended.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /suspended/)

    await test.updateCustomer(name, { suspended: false, tier: 'dedicated' })
    const moved = await test.waitForCustomer(name, 'Ready', 'True', REASON.Ready)
    assert.equal(moved.status?.namespace, `sh-${name}`, 'the namespace does not move')
    await test.waitUntil('the dedicated quota', async () => {
      const quota = await get<Quota>(quotaPath(`sh-${name}`))
      return quota?.spec.hard.pods === '50' ? quota : undefined
    })
    const namespace = await get<KubeObject>(namespacePath(`sh-${name}`))
    assert.equal(namespace?.metadata.labels?.['hostplane.dev/tier'], 'dedicated')
  })

  it('deleting a Customer reports Deleting, removes its namespace, its sites’ routes in the system namespace and its ClusterRole and binding, then itself', async () => {
    const name = `gone-${test.tag}`
    await test.createCustomer(name)
    await test.waitForCustomer(name, 'Ready', 'True', REASON.Ready)
    const namespace = `sh-${name}`
    await test.createSite(namespace, 'blog', { domains: [`blog.${name}.example`] })
    await test.waitForCondition(namespace, 'blog', 'Routed', 'True')
    assert.equal(
      (await test.generated('IngressRoute', siteKey(namespace, 'blog'))).length,
      2,
      'the route and its HTTP redirect',
    )

    await test.admin.request('DELETE', test.customerPath(name))
    await test.waitForCustomer(name, 'Ready', 'False', REASON.Deleting)
    await test.waitUntil(
      'the customer is gone',
      async () => ((await test.getCustomer(name)) ? undefined : true),
      60_000,
    )
    assert.equal(await get(namespacePath(namespace)), undefined, 'the namespace is gone first')
    assert.deepEqual(await test.generated('IngressRoute', siteKey(namespace, 'blog')), [])
    assert.deepEqual(await test.generated('Middleware', siteKey(namespace, 'blog')), [])
    for (const plural of ['clusterroles', 'clusterrolebindings'])
      assert.equal(
        await get(resourcePath({ ...RBAC, plural, name: customerAccessName(name) })),
        undefined,
        plural,
      )
    const events = await test.eventReasons('Customer', name)
    for (const step of [REASON.Deleting, REASON.DeletingNamespace, REASON.Deleted])
      assert.ok(events.includes(step), `${step} in ${events.join(',')}`)
  })

  it('reports overlapping domains an admin allowed as OverlapAllowed on both Customers, and DomainsOverlap naming each other once the override is gone (an overlap stored before the policy)', async () => {
    const [older, newer] = [`over-${test.tag}`, `under-${test.tag}`]
    await test.createCustomer(older, { domains: [`ov-${test.tag}.example`] })
    await test.waitForCustomer(older, 'DomainsExclusive', 'True', REASON.NoOverlap)
    await test.createCustomer(newer, {
      domains: [`shop.ov-${test.tag}.example`],
      domainOverlap: { allowedWith: [older] },
    })
    await test.waitForCustomer(newer, 'DomainsExclusive', 'True', REASON.OverlapAllowed)
    await test.waitForCustomer(older, 'DomainsExclusive', 'True', REASON.OverlapAllowed)

    // Dropping the override keeps the domains, so the policy admits it: what a pre-upgrade overlap looks like.
    await test.admin.request('PATCH', resourcePath({ ...CUSTOMERS, name: newer }), {
      body: { spec: { domainOverlap: null } },
      contentType: 'application/merge-patch+json',
    })
    const reported = await test.waitForCustomer(newer, 'DomainsExclusive', 'False', REASON.DomainsOverlap)
    assert.match(
      reported.status?.conditions?.find((c) => c.type === 'DomainsExclusive')?.message ?? '',
      new RegExp(
        `shop\\.ov-${test.tag}\\.example ~ ov-${test.tag}\\.example \\(customer ${older}\\).*allowedWith: \\[${older}\\]`,
      ),
    )
    await test.waitForCustomer(older, 'DomainsExclusive', 'False', REASON.DomainsOverlap)
  })

  it('a site whose Customer stops listing its tls.clusterIssuer keeps its route, loses its Certificate and reports IssuerNotAllowed', async () => {
    const name = `issuer-${test.tag}`
    await test.createCustomer(name, { clusterIssuers: ['own-ca'] })
    await test.waitForCustomer(name, 'Ready', 'True', REASON.Ready)
    const namespace = `sh-${name}`
    const key = siteKey(namespace, 'blog')
    await test.createSite(namespace, 'blog', {
      domains: [`blog.${name}.example`],
      tls: { mode: 'auto', clusterIssuer: 'own-ca' },
    })
    await test.waitForCondition(namespace, 'blog', 'Routed', 'True')
    await test.waitUntil('the Certificate from own-ca', async () =>
      (await test.generated('Certificate', key)).length === 1 ? true : undefined,
    )

    await test.updateCustomer(name, { clusterIssuers: [] })
    const site = await test.waitForCondition(
      namespace,
      'blog',
      'CertificateReady',
      'False',
      SITE_REASON.IssuerNotAllowed,
    )
    assert.match(
      site.status?.conditions?.find((c) => c.type === 'CertificateReady')?.message ?? '',
      new RegExp(`tls\\.clusterIssuer own-ca is not allowed for customer ${name}: use one of test-issuer,`),
    )
    assert.equal(site.status?.conditions?.find((c) => c.type === 'Routed')?.status, 'True')
    await test.waitUntil('the Certificate is gone', async () =>
      (await test.generated('Certificate', key)).length === 0 ? true : undefined,
    )
  })

  it('a webspace whose Customer stops listing its tls.clusterIssuer keeps running and routed, loses its Certificate and reports IssuerNotAllowed', async () => {
    const name = `wsissuer-${test.tag}`
    await test.createCustomer(name, { clusterIssuers: ['own-ca'] })
    await test.waitForCustomer(name, 'Ready', 'True', REASON.Ready)
    const namespace = `sh-${name}`
    const runtime = await test.createRuntime()
    await test.createWebspace(namespace, 'shop', {
      runtime,
      domains: [`shop.${name}.example`],
      tls: { mode: 'auto', clusterIssuer: 'own-ca' },
    })
    const owned = async (plural: string) =>
      (
        await test.admin.request<KubeList<KubeObject>>(
          'GET',
          resourcePath({
            apiVersion: plural === 'certificates' ? 'cert-manager.io/v1' : 'traefik.io/v1alpha1',
            plural,
            namespace,
          }),
        )
      ).items.length
    await test.waitUntil('the Certificate from own-ca', async () =>
      (await owned('certificates')) === 1 ? true : undefined,
    )

    await test.updateCustomer(name, { clusterIssuers: [] })
    const webspace = await test.waitForWebspace(
      namespace,
      'shop',
      'IssuerNotAllowed',
      (w) =>
        findCondition(w.status?.conditions, 'CertificateReady')?.reason === WEBSPACE_REASON.IssuerNotAllowed,
    )
    assert.match(
      findCondition(webspace.status?.conditions, 'CertificateReady')?.message ?? '',
      new RegExp(`tls\\.clusterIssuer own-ca is not allowed for customer ${name}: use one of test-issuer,`),
    )
    assert.equal(
      findCondition(webspace.status?.conditions, 'Deployed')?.reason,
      WEBSPACE_REASON.ObjectsApplied,
    )
    await test.waitUntil('the Certificate is gone', async () =>
      (await owned('certificates')) === 0 ? true : undefined,
    )
    assert.equal(await owned('ingressroutes'), 1, 'still routed')
  })
})
