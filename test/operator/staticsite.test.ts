import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { siteKey } from '../../src/api/site-key.js'
import { findCondition } from '../../src/kube/conditions.js'
import type { KubeObject } from '../../src/kube/object.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import type { Operator } from '../../src/operator/operator.js'
import { FINALIZER, REASON } from '../../src/operator/staticsite/conditions.js'
import {
  GENERATED,
  httpRouteName,
  middlewareName,
  routeName,
  tlsCopyName,
} from '../../src/operator/staticsite/generated.js'
import { ISSUANCE_KINDS } from '../../src/operator/staticsite/issuances.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep } from '../cluster/process.js'
import { apiWrites, OperatorEnv } from './harness.js'

const env = await clusterForTests()

interface IngressRoute extends KubeObject {
  spec: {
    entryPoints: string[]
    routes: { match: string; middlewares?: { name: string }[] }[]
    tls?: { secretName: string }
  }
}
interface Certificate extends KubeObject {
  spec: { dnsNames: string[]; secretName: string; issuerRef: { name: string } }
}

describe('the StaticSite operator on a real API server', { skip: env.skip }, () => {
  let test: OperatorEnv
  let operator: Operator
  let tenantA: string
  let tenantB: string

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'op')
    await test.setUp()
    tenantA = await test.createNamespace(`t-op-a-${test.tag}`)
    tenantB = await test.createNamespace(`t-op-b-${test.tag}`)
    operator = await test.startOperator({ resyncMs: 2000 })
  })

  after(async () => {
    await operator?.stop()
    await test?.tearDown()
    test?.admin.close()
    await env.release()
  })

  it('routes a new site: IngressRoute, Middlewares and Certificate accepted by the real CRDs, status with url and resources', async () => {
    await test.createSite(tenantA, 'blog', {
      domains: ['blog.a.test', 'www.blog.a.test'],
      headers: [{ path: '/assets', set: { 'Cache-Control': 'max-age=3600' } }],
      redirects: [{ from: '/old/*', to: '/new/:splat', status: 301 }],
    })
    const site = await test.waitForCondition(tenantA, 'blog', 'Routed', 'True')
    const key = siteKey(tenantA, 'blog')
    assert.ok(site.metadata.finalizers?.includes(FINALIZER))
    assert.equal(site.status?.url, 'https://blog.a.test/')
    const route = await test.getGenerated<IngressRoute>('IngressRoute', routeName(key))
    assert.ok(route, 'IngressRoute exists')
    assert.deepEqual(route.spec.tls, { secretName: `${key}-tls` })
    assert.deepEqual(
      route.spec.routes.map((r) => r.match),
      ['Host(`blog.a.test`) && PathPrefix(`/assets`)', 'Host(`blog.a.test`)', 'Host(`www.blog.a.test`)'],
    )
    const middlewares = (await test.generated('Middleware', key)).map((m) => m.metadata.name).sort()
    assert.deepEqual(middlewares, [
      middlewareName(key, 'canonical'),
      middlewareName(key, 'headers-0'),
      middlewareName(key, 'prefix'),
      middlewareName(key, 'redirect-0'),
    ])
    const http = await test.getGenerated<IngressRoute>('IngressRoute', httpRouteName(key))
    assert.deepEqual(
      http?.spec.routes.map((r) => r.match),
      ['(Host(`blog.a.test`) || Host(`www.blog.a.test`))'],
      'plain HTTP of every domain redirects to the canonical https URL',
    )
    const certificate = await test.getGenerated<Certificate>('Certificate', key)
    assert.deepEqual(certificate?.spec.dnsNames, ['blog.a.test', 'www.blog.a.test'])
    assert.equal(certificate?.spec.issuerRef.name, 'test-issuer')
    assert.equal(site.status?.resources?.length, 7)
    assert.equal(
      findCondition(site.status?.conditions, 'CertificateReady')?.reason,
      REASON.CertificatePending,
    )
    assert.equal(findCondition(site.status?.conditions, 'Ready')?.reason, REASON.CertificatePending)
    const events = await test.admin.request<{ items: { reason: string; regarding: { name: string } }[] }>(
      'GET',
      `/apis/events.k8s.io/v1/namespaces/${tenantA}/events`,
    )
    assert.ok(
      events.items.some((e) => e.reason === REASON.RouteApplied && e.regarding.name === 'blog'),
      'a RouteApplied event on the site',
    )
  })

  it('mirrors the Certificate Ready condition into CertificateReady, and Ready waits for the syncer', async () => {
    const key = siteKey(tenantA, 'blog')
    await test.admin.request(
      'PATCH',
      resourcePath({
        ...GENERATED.Certificate,
        namespace: test.systemNamespace,
        name: key,
        subresource: 'status',
      }),
      {
        body: {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'Ready',
                message: 'issued',
                lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
              },
            ],
          },
        },
        contentType: 'application/merge-patch+json',
      },
    )
    const site = await test.waitForCondition(
      tenantA,
      'blog',
      'CertificateReady',
      'True',
      REASON.CertificateIssued,
    )
    assert.equal(findCondition(site.status?.conditions, 'Ready')?.reason, REASON.WaitingForSync)
    await test.admin.apply(
      test.sitePath(tenantA, 'blog', 'status'),
      {
        apiVersion: site.apiVersion,
        kind: site.kind,
        metadata: { name: 'blog', namespace: tenantA },
        status: {
          conditions: [
            {
              type: 'Synced',
              status: 'True',
              reason: 'Published',
              message: 'commit abc',
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          ],
        },
      },
      { fieldManager: 'hostplane-syncer' },
    )
    const ready = await test.waitForCondition(tenantA, 'blog', 'Ready', 'True')
    assert.equal(
      findCondition(ready.status?.conditions, 'Synced')?.status,
      'True',
      'the syncer keeps its condition',
    )
  })

  it('says why a Certificate is not issued, from the Challenge, Order and CertificateRequest cert-manager writes, and that an expired one expired', async () => {
    await test.createSite(tenantA, 'tls-fail', { domains: ['fail.op.test'] })
    await test.waitForCondition(tenantA, 'tls-fail', 'Routed', 'True')
    const key = siteKey(tenantA, 'tls-fail')
    const certificate = await test.getGenerated<Certificate>('Certificate', key)
    assert.ok(certificate?.metadata.uid)
    const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const path = (kind: keyof typeof ISSUANCE_KINDS, name?: string, subresource?: string) =>
      resourcePath({ ...ISSUANCE_KINDS[kind], namespace: test.systemNamespace, name, subresource })
    const owned = (owner: KubeObject, kind: string) => [
      {
        apiVersion: owner.apiVersion,
        kind,
        name: owner.metadata.name,
        uid: owner.metadata.uid ?? '',
        controller: true,
      },
    ]
    // What cert-manager writes for a pending HTTP-01 issuance, each object owned by the one above it.
    const issuerRef = { name: 'test-issuer', kind: 'ClusterIssuer', group: 'cert-manager.io' }
    const request = await test.admin.request<KubeObject>('POST', path('CertificateRequest'), {
      body: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'CertificateRequest',
        metadata: {
          name: `${key}-1`,
          annotations: {
            'cert-manager.io/certificate-name': key,
            'cert-manager.io/certificate-revision': '1',
          },
          ownerReferences: owned(certificate, 'Certificate'),
        },
        spec: { issuerRef, request: Buffer.from('csr').toString('base64') },
      },
    })
    const order = await test.admin.request<KubeObject>('POST', path('Order'), {
      body: {
        apiVersion: 'acme.cert-manager.io/v1',
        kind: 'Order',
        metadata: { name: `${key}-1-1234`, ownerReferences: owned(request, 'CertificateRequest') },
        spec: { issuerRef, request: Buffer.from('csr').toString('base64'), dnsNames: ['fail.op.test'] },
      },
    })
    const challenge = await test.admin.request<KubeObject>('POST', path('Challenge'), {
      body: {
        apiVersion: 'acme.cert-manager.io/v1',
        kind: 'Challenge',
        metadata: { name: `${key}-1-1234-99`, ownerReferences: owned(order, 'Order') },
        spec: {
          authorizationURL: 'https://acme.test/authz/1',
          dnsName: 'fail.op.test',
          issuerRef,
          key: 'token.thumbprint',
          solver: { http01: { ingress: {} } },
          token: 'token',
          type: 'HTTP-01',
          url: 'https://acme.test/chall/1',
        },
      },
    })
    const setStatus = (target: string, status: unknown) =>
      test.admin.request('PATCH', target, { body: { status }, contentType: 'application/merge-patch+json' })
    await setStatus(path('Order', order.metadata.name, 'status'), { state: 'pending' })
    await setStatus(path('Challenge', challenge.metadata.name, 'status'), {
      state: 'pending',
      processing: true,
      presented: true,
      reason: "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'",
    })
    const certificatePath = resourcePath({
      ...GENERATED.Certificate,
      namespace: test.systemNamespace,
      name: key,
      subresource: 'status',
    })
    const notReady = {
      type: 'Ready',
      status: 'False',
      reason: 'DoesNotExist',
      message: 'Issuing certificate as Secret does not exist',
      lastTransitionTime: now(),
    }
    await setStatus(certificatePath, { conditions: [notReady] })
    // The condition passes through other messages of the same reason while the statuses above
    // arrive one by one (a Certificate not ready yet is CertificatePending too): wait for the one
    // expected, then compare, so a timeout shows the last message seen.
    const message = async (reason: string, expected: string | RegExp) => {
      const current = async () =>
        findCondition((await test.getSite(tenantA, 'tls-fail'))?.status?.conditions, 'CertificateReady')
      const matches = (text = '') => (typeof expected === 'string' ? text === expected : expected.test(text))
      await test
        .waitUntil(`tls-fail: CertificateReady/${reason} says what is expected`, async () => {
          const condition = await current()
          return condition?.reason === reason && matches(condition.message) ? true : undefined
        })
        .catch(() => undefined)
      return (await current())?.message
    }
    const pending = `cert-manager has not issued Certificate ${key} yet: the HTTP-01 challenge for fail.op.test is pending: Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'`
    assert.equal(await message(REASON.CertificatePending, pending), pending)

    await setStatus(path('Challenge', challenge.metadata.name, 'status'), {
      state: 'invalid',
      processing: false,
      reason:
        'Error accepting authorization: acme: authorization error for fail.op.test: 403 urn:ietf:params:acme:error:unauthorized',
    })
    await setStatus(path('Order', order.metadata.name, 'status'), { state: 'invalid', reason: '' })
    const failed = `cert-manager could not issue Certificate ${key}: the HTTP-01 challenge for fail.op.test is invalid: Error accepting authorization: acme: authorization error for fail.op.test: 403 urn:ietf:params:acme:error:unauthorized; it retries with backoff`
    assert.equal(await message(REASON.CertificateFailed, failed), failed)

    await setStatus(certificatePath, {
      conditions: [{ ...notReady, status: 'True', reason: 'Ready', message: 'Certificate is up to date' }],
      notAfter: '2026-01-01T00:00:00Z',
    })
    const expired = new RegExp(
      `^Certificate ${key} expired at 2026-01-01T00:00:00Z and was not renewed: the HTTP-01 challenge`,
    )
    assert.match((await message(REASON.CertificateExpired, expired)) ?? '', expired)
  })

  it('follows updates of domains, ref, pathPrefix and tls mode, removing what is no longer needed', async () => {
    const key = siteKey(tenantA, 'blog')
    await test.updateSite(tenantA, 'blog', { domains: ['blog2.a.test'], pathPrefix: '/docs', ref: 'v2' })
    await test.waitUntil('the route follows the new domain and prefix', async () => {
      const route = await test.getGenerated<IngressRoute>('IngressRoute', routeName(key))
      return route?.spec.routes.at(-1)?.match ===
        'Host(`blog2.a.test`) && (Path(`/docs`) || PathPrefix(`/docs/`))'
        ? route
        : undefined
    })
    const site = await test.waitForCondition(tenantA, 'blog', 'Routed', 'True')
    assert.equal(site.status?.url, 'https://blog2.a.test/docs/')
    const routes = (await test.getGenerated<IngressRoute>('IngressRoute', routeName(key)))?.spec.routes ?? []
    assert.ok(
      routes.every((r) => !r.middlewares?.some((m) => m.name === middlewareName(key, 'canonical'))),
      'no other domain, no route redirecting one',
    )
    assert.ok(await test.getGenerated('Middleware', middlewareName(key, 'strip')))
    assert.deepEqual((await test.getGenerated<Certificate>('Certificate', key))?.spec.dnsNames, [
      'blog2.a.test',
    ])

    await test.updateSite(tenantA, 'blog', { tls: { mode: 'none' } })
    await test.waitUntil('the Certificate is removed', async () =>
      (await test.getGenerated('Certificate', key)) ? undefined : true,
    )
    const plain = await test.waitForCondition(tenantA, 'blog', 'CertificateReady', 'True', REASON.TlsDisabled)
    assert.equal(plain.status?.url, 'http://blog2.a.test/docs/')
    const route = await test.getGenerated<IngressRoute>('IngressRoute', routeName(key))
    assert.deepEqual(route?.spec.entryPoints, ['web'])
    assert.equal(route?.spec.tls, undefined)
    assert.equal(
      await test.getGenerated('IngressRoute', httpRouteName(key)),
      undefined,
      'no HTTPS to redirect to',
    )

    await test.updateSite(tenantA, 'blog', { tls: { mode: 'secret', secretName: 'blog-cert' } })
    // The Secret's checks are test/operator/tls-secret.test.ts; here only the route's switch to its copy.
    await test.waitForCondition(tenantA, 'blog', 'CertificateReady', 'False', REASON.TlsSecretMissing)
    assert.deepEqual((await test.getGenerated<IngressRoute>('IngressRoute', routeName(key)))?.spec.tls, {
      secretName: tlsCopyName(key),
    })
  })

  it('writes nothing while idle: resyncs of converged sites send zero requests', async () => {
    await sleep(1500)
    const before = await apiWrites(operator)
    await sleep(5000)
    assert.equal(await apiWrites(operator), before, 'writes during two resync periods')
  })

  it('puts hand-edited and deleted generated objects back (drift)', async () => {
    const key = siteKey(tenantA, 'blog')
    await test.admin.request(
      'PATCH',
      resourcePath({
        ...GENERATED.Middleware,
        namespace: test.systemNamespace,
        name: middlewareName(key, 'prefix'),
      }),
      {
        body: { spec: { addPrefix: { prefix: '/someone-else' } } },
        contentType: 'application/merge-patch+json',
      },
    )
    await test.admin.request(
      'DELETE',
      resourcePath({
        ...GENERATED.Middleware,
        namespace: test.systemNamespace,
        name: middlewareName(key, 'strip'),
      }),
    )
    await test.waitUntil('the Middlewares are restored', async () => {
      const prefix = await test.getGenerated<KubeObject & { spec: { addPrefix: { prefix: string } } }>(
        'Middleware',
        middlewareName(key, 'prefix'),
      )
      const strip = await test.getGenerated('Middleware', middlewareName(key, 'strip'))
      return prefix?.spec.addPrefix.prefix === `/${key}` && strip ? true : undefined
    })
  })

  it('gives a domain to the namespace of its oldest claim; other namespaces get DomainClaimed=False and no route', async () => {
    await test.createSite(tenantA, 'shop', { domains: ['shop.test'] })
    await test.waitForCondition(tenantA, 'shop', 'Routed', 'True')
    await test.createSite(tenantB, 'shop', { domains: ['shop.test'] })
    await test.createSite(tenantB, 'shop-docs', { domains: ['shop.test'], pathPrefix: '/docs' })
    for (const name of ['shop', 'shop-docs']) {
      const denied = await test.waitForCondition(
        tenantB,
        name,
        'DomainClaimed',
        'False',
        REASON.DomainOwnedByOtherNamespace,
      )
      assert.match(
        findCondition(denied.status?.conditions, 'DomainClaimed')?.message ?? '',
        new RegExp(tenantA),
      )
      assert.equal(findCondition(denied.status?.conditions, 'Routed')?.status, 'False')
      assert.equal(
        await test.getGenerated('IngressRoute', routeName(siteKey(tenantB, name))),
        undefined,
        `${name}: no route`,
      )
    }
  })

  it('lets sites of the owner namespace split a domain by path prefix; the same prefix goes to the older site', async () => {
    await test.createSite(tenantA, 'shop-help', { domains: ['shop.test'], pathPrefix: '/help' })
    await test.waitForCondition(tenantA, 'shop-help', 'Routed', 'True')
    await test.createSite(tenantA, 'shop-help2', { domains: ['shop.test'], pathPrefix: '/help' })
    const taken = await test.waitForCondition(
      tenantA,
      'shop-help2',
      'DomainClaimed',
      'False',
      REASON.PathPrefixTaken,
    )
    assert.match(findCondition(taken.status?.conditions, 'DomainClaimed')?.message ?? '', /shop-help/)
  })

  it('hands the domain over when the owner namespace releases its last claim', async () => {
    for (const name of ['shop', 'shop-help', 'shop-help2']) await test.deleteSite(tenantA, name)
    await test.waitForCondition(tenantB, 'shop', 'Routed', 'True')
    await test.waitForCondition(tenantB, 'shop-docs', 'Routed', 'True')
    assert.ok(await test.getGenerated('IngressRoute', routeName(siteKey(tenantB, 'shop'))))
    assert.equal(await test.getGenerated('IngressRoute', routeName(siteKey(tenantA, 'shop'))), undefined)
  })

  it('refuses a domain the platform reserves with a clear condition, without retrying hot', async () => {
    await test.createSite(tenantA, 'squatter', { domains: ['someone-else.pages.test'] })
    const site = await test.waitForCondition(tenantA, 'squatter', 'Routed', 'False', REASON.DomainRefused)
    assert.match(findCondition(site.status?.conditions, 'Routed')?.message ?? '', /reserved/)
    assert.equal(await test.getGenerated('IngressRoute', routeName(siteKey(tenantA, 'squatter'))), undefined)
    const before = await apiWrites(operator)
    await sleep(3000)
    assert.equal(await apiWrites(operator), before, 'no writes after the condition was set')
  })

  it('deletes generated objects and the finalizer when a site is deleted', async () => {
    const key = siteKey(tenantA, 'blog')
    await test.deleteSite(tenantA, 'blog')
    await test.waitUntil('the site is gone', async () =>
      (await test.getSite(tenantA, 'blog')) ? undefined : true,
    )
    for (const kind of ['IngressRoute', 'Middleware', 'Certificate'] as const)
      assert.deepEqual(await test.generated(kind, key), [], `${kind}s of the deleted site`)
  })

  it('cleans up at startup: a site deleted while the operator was stopped, and orphans whose site is gone', async () => {
    await test.createSite(tenantB, 'gone', { domains: ['gone.test'] })
    await test.waitForCondition(tenantB, 'gone', 'Routed', 'True')
    await operator.stop()
    await test.deleteSite(tenantB, 'gone')
    const orphanKey = siteKey(tenantB, 'never-existed')
    await test.admin.request(
      'POST',
      resourcePath({ ...GENERATED.Middleware, namespace: test.systemNamespace }),
      {
        body: {
          apiVersion: GENERATED.Middleware.apiVersion,
          kind: 'Middleware',
          metadata: {
            name: middlewareName(orphanKey, 'prefix'),
            labels: { 'hostplane.dev/site': orphanKey, 'app.kubernetes.io/managed-by': 'hostplane' },
            annotations: {
              'hostplane.dev/source-namespace': tenantB,
              'hostplane.dev/source-name': 'never-existed',
            },
          },
          spec: { addPrefix: { prefix: `/${orphanKey}` } },
        },
      },
    )
    assert.ok(await test.getSite(tenantB, 'gone'), 'the finalizer holds the site while the operator is down')
    operator = await test.startOperator({ resyncMs: 2000 })
    await test.waitUntil('the deleted site and the orphan are cleaned up', async () =>
      !(await test.getSite(tenantB, 'gone')) &&
      (await test.generated('Middleware', orphanKey)).length === 0 &&
      (await test.generated('IngressRoute', siteKey(tenantB, 'gone'))).length === 0
        ? true
        : undefined,
    )
  })
})
