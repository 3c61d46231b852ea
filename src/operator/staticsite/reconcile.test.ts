import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Customer } from '../../api/resources.js'
import { Applier, type KubeWriter } from '../../kube/apply.js'
import type { KubeObject } from '../../kube/object.js'
import { RefusalBackoff } from '../../kube/refusal-backoff.js'
import { KubeApiError } from '../../kube/rest.js'
import { silentLogger } from '../../ops/log.js'
import { customer } from '../customer/fixtures.js'
import { ClaimIndex } from './claim-index.js'
import {
  selfSignedCertificate,
  type TestCertificate,
  tlsData,
} from '../../../test/fixtures/tls-certificate.js'
import { config, deleting, named, site, withDomains, withFinalizer, withTls } from './fixtures.js'
import { httpRouteName, middlewareName, routeName, SITE_LABEL, siteKeyOf, tlsCopyName } from './generated.js'
import { siteClaim } from './plan.js'
import { StaticSiteReconciler } from './reconcile.js'
import type { StaticSite } from './site.js'
import { NO_ISSUANCE } from './certificate-readiness.js'
import type { SecretObject } from './tls-secret.js'

const KEY = 'team-a--blog'

interface Write {
  readonly method: string
  readonly path: string
  readonly body?: unknown
}

/**
 * The API as the reconciler sees it: caches it reads, and a recorder of writes that also
 * updates the caches the way watch events would.
 */
function world(...sites: StaticSite[]) {
  const siteCache = new Map(sites.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
  const generated = new Map<string, KubeObject>()
  const claims = new ClaimIndex()
  for (const s of sites) {
    const ref = { kind: 'StaticSite', namespace: s.metadata.namespace ?? '', name: s.metadata.name } as const
    claims.set(ref, siteClaim(s, config()))
  }
  const customers = new Map<string, Customer>()
  /** Secrets of the tenant namespaces, by `namespace/name`. */
  const secrets = new Map<string, SecretObject>()
  const writes: Write[] = []
  const nameOf = (path: string) => path.split('/').at(-1) ?? ''
  const applied = (path: string, object: unknown) => {
    writes.push({ method: 'APPLY', path, body: object })
    const o = object as KubeObject & { status?: StaticSite['status'] }
    if (path.endsWith('/status')) {
      const cached = siteCache.get(`${o.metadata.namespace}/${o.metadata.name}`)
      if (cached) cached.status = o.status
    } else generated.set(`${o.kind}/${o.metadata.name}`, structuredClone(o))
  }
  /** Paths whose writes the API server refuses, as a denying policy would. */
  const refused = new Map<string, Error>()
  const writer: KubeWriter = {
    async request<T>(method: string, path: string, params: { body?: unknown; contentType?: string } = {}) {
      const refusal = refused.get(path)
      if (refusal) {
        writes.push({ method: 'REFUSED', path, body: params.body })
        throw refusal
      }
      if (params.contentType === 'application/apply-patch+yaml') {
        applied(path, params.body)
        return undefined as T
      }
      writes.push({ method, path, body: params.body })
      // Generated kinds pluralise regularly: Certificate → certificates.
      const plural = path.split('/').at(-2)
      if (method === 'DELETE')
        for (const [key, o] of generated)
          if (`${o.kind.toLowerCase()}s` === plural && o.metadata.name === nameOf(path)) generated.delete(key)
      if (method === 'PATCH' && path.includes('/customers/')) {
        // A certificate order recorded in the Customer's status, as its watch event would bring it.
        const status = (params.body as { status: Customer['status'] }).status
        for (const [namespace, c] of customers)
          if (path.includes(`/customers/${c.metadata.name}/`))
            customers.set(namespace, { ...c, status: { ...c.status, ...status } })
      } else if (method === 'PATCH') {
        const finalizers = (params.body as { metadata: { finalizers: string[] } }).metadata.finalizers
        for (const s of siteCache.values())
          if (s.metadata.name === nameOf(path)) s.metadata.finalizers = finalizers
      }
      return undefined as T
    },
  }
  const reconciler = new StaticSiteReconciler({
    cache: {
      site: (key) => siteCache.get(key),
      generated: (key) => [...generated.values()].filter((o) => siteKeyOf(o) === key),
      rivals: (claim) => claims.rivals(claim),
      neighbours: (namespace) => claims.inNamespace(namespace),
      customerOf: (namespace) => customers.get(namespace),
      issuance: () => NO_ISSUANCE,
    },
    applier: new Applier(writer, () => {}),
    events: { record: async (_site, event) => void writes.push({ method: 'EVENT', path: event.reason }) },
    config: config(),
    log: silentLogger(),
    readTlsSecret: async (namespace, name) => {
      const secret = secrets.get(`${namespace}/${name}`)
      return secret ? { kind: 'found', secret: structuredClone(secret) } : { kind: 'missing' }
    },
    backoff: new RefusalBackoff({ now: () => 0, retry: () => {} }),
    clock: () => new Date('2026-03-01T12:00:00Z'),
  })
  const summary = () => writes.splice(0).map((w) => `${w.method} ${w.path}`)
  return { reconciler, writes, summary, generated, siteCache, customers, secrets, refused }
}

const SYSTEM = '/apis/traefik.io/v1alpha1/namespaces/hostplane-system'
/** A new site's first routing writes after its TLS object (Certificate or copy), up to its TLS Event. */
const FIRST_ROUTE_WRITES = [
  `APPLY ${SYSTEM}/middlewares/${middlewareName(KEY, 'prefix')}`,
  `APPLY ${SYSTEM}/middlewares/${middlewareName(KEY, 'canonical')}`,
  `APPLY ${SYSTEM}/ingressroutes/${routeName(KEY)}`,
  `APPLY ${SYSTEM}/ingressroutes/${httpRouteName(KEY)}`,
  'APPLY /apis/hostplane.dev/v1alpha1/namespaces/team-a/staticsites/blog/status',
  'EVENT RouteApplied',
  'EVENT DomainClaimed',
]

describe('StaticSiteReconciler', () => {
  it('adds the finalizer first, with the resourceVersion for optimistic concurrency', async () => {
    const w = world(site(withDomains('a.test')))
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'finalizer-added')
    assert.deepEqual(w.writes, [
      {
        method: 'PATCH',
        path: '/apis/hostplane.dev/v1alpha1/namespaces/team-a/staticsites/blog',
        body: { metadata: { resourceVersion: '100', finalizers: ['hostplane.dev/generated-objects'] } },
      },
    ])
  })

  it('applies each generated object, then the status, then records events; a second pass writes nothing', async () => {
    const w = world(site(withDomains('a.test'), withFinalizer))
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'applied')
    assert.deepEqual(w.summary(), [
      'APPLY /apis/cert-manager.io/v1/namespaces/hostplane-system/certificates/team-a--blog',
      ...FIRST_ROUTE_WRITES,
      'EVENT CertificatePending',
    ])
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'none')
    assert.deepEqual(w.summary(), [], 'idempotent: nothing to write the second time')
  })

  it('puts status with observedGeneration, url and resources under the operator field manager', async () => {
    const w = world(site(withDomains('a.test'), withFinalizer))
    await w.reconciler.reconcile('team-a/blog')
    const status = w.writes.find((x) => x.path.endsWith('/status'))?.body as {
      status: Record<string, unknown>
    }
    assert.equal(status.status.observedGeneration, 1)
    assert.equal(status.status.url, 'https://a.test/')
    assert.deepEqual(status.status.resources, [
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        namespace: 'hostplane-system',
        name: 'team-a--blog',
      },
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'Middleware',
        namespace: 'hostplane-system',
        name: middlewareName(KEY, 'prefix'),
      },
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'Middleware',
        namespace: 'hostplane-system',
        name: middlewareName(KEY, 'canonical'),
      },
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        namespace: 'hostplane-system',
        name: routeName(KEY),
      },
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        namespace: 'hostplane-system',
        name: httpRouteName(KEY),
      },
    ])
  })

  it('re-applies only the object that drifted', async () => {
    const w = world(site(withDomains('a.test'), withFinalizer))
    await w.reconciler.reconcile('team-a/blog')
    w.summary()
    const prefix = w.generated.get(`Middleware/${middlewareName(KEY, 'prefix')}`) as KubeObject & {
      spec: unknown
    }
    prefix.spec = { addPrefix: { prefix: '/elsewhere' } }
    await w.reconciler.reconcile('team-a/blog')
    assert.deepEqual(w.summary(), [`APPLY ${SYSTEM}/middlewares/${middlewareName(KEY, 'prefix')}`])
  })

  it('deletes what a change made stale (the Certificate and the HTTP redirect after tls none) and nothing else', async () => {
    const w = world(site(withDomains('a.test'), withFinalizer))
    await w.reconciler.reconcile('team-a/blog')
    w.summary()
    const cached = w.siteCache.get('team-a/blog') as StaticSite
    cached.spec.tls = { mode: 'none' }
    cached.metadata.generation = 2
    await w.reconciler.reconcile('team-a/blog')
    assert.deepEqual(w.summary(), [
      `APPLY ${SYSTEM}/ingressroutes/${routeName(KEY)}`,
      'DELETE /apis/cert-manager.io/v1/namespaces/hostplane-system/certificates/team-a--blog',
      `DELETE ${SYSTEM}/middlewares/${middlewareName(KEY, 'canonical')}`,
      `DELETE ${SYSTEM}/ingressroutes/${httpRouteName(KEY)}`,
      'APPLY /apis/hostplane.dev/v1alpha1/namespaces/team-a/staticsites/blog/status',
      'EVENT TlsDisabled',
    ])
  })

  it('takes the site offline while its customer is suspended, keeping the Certificate, and restores the route on resume', async () => {
    const w = world(site(withDomains('a.test'), withFinalizer))
    await w.reconciler.reconcile('team-a/blog')
    w.summary()
    w.customers.set('team-a', customer({ suspended: true, domains: ['a.test'] }))
    await w.reconciler.reconcile('team-a/blog')
    assert.deepEqual(w.summary(), [
      `DELETE ${SYSTEM}/middlewares/${middlewareName(KEY, 'prefix')}`,
      `DELETE ${SYSTEM}/middlewares/${middlewareName(KEY, 'canonical')}`,
      `DELETE ${SYSTEM}/ingressroutes/${routeName(KEY)}`,
      `DELETE ${SYSTEM}/ingressroutes/${httpRouteName(KEY)}`,
      'APPLY /apis/hostplane.dev/v1alpha1/namespaces/team-a/staticsites/blog/status',
      'EVENT CustomerSuspended',
    ])
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'none')
    w.customers.set('team-a', customer({ suspended: false, domains: ['a.test'] }))
    await w.reconciler.reconcile('team-a/blog')
    assert.deepEqual(w.summary(), [
      `APPLY ${SYSTEM}/middlewares/${middlewareName(KEY, 'prefix')}`,
      `APPLY ${SYSTEM}/middlewares/${middlewareName(KEY, 'canonical')}`,
      `APPLY ${SYSTEM}/ingressroutes/${routeName(KEY)}`,
      `APPLY ${SYSTEM}/ingressroutes/${httpRouteName(KEY)}`,
      'APPLY /apis/hostplane.dev/v1alpha1/namespaces/team-a/staticsites/blog/status',
      'EVENT RouteApplied',
    ])
  })

  it('removes the route and the Certificate when the customer no longer lists the domain, and restores them when it does again', async () => {
    const w = world(site(withDomains('www.a.test'), withFinalizer))
    w.customers.set('team-a', customer({ domains: ['a.test'] }))
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'order-recorded')
    await w.reconciler.reconcile('team-a/blog')
    w.summary()
    w.customers.set('team-a', {
      ...customer({ domains: ['b.test'] }),
      status: w.customers.get('team-a')?.status,
    })
    await w.reconciler.reconcile('team-a/blog')
    assert.deepEqual(w.summary(), [
      'DELETE /apis/cert-manager.io/v1/namespaces/hostplane-system/certificates/team-a--blog',
      `DELETE ${SYSTEM}/middlewares/${middlewareName(KEY, 'prefix')}`,
      `DELETE ${SYSTEM}/middlewares/${middlewareName(KEY, 'canonical')}`,
      `DELETE ${SYSTEM}/ingressroutes/${routeName(KEY)}`,
      `DELETE ${SYSTEM}/ingressroutes/${httpRouteName(KEY)}`,
      'APPLY /apis/hostplane.dev/v1alpha1/namespaces/team-a/staticsites/blog/status',
      'EVENT DomainNotAllowed',
      'EVENT DomainNotAllowed',
      'EVENT NoRoute',
    ])
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'none')
    w.customers.set('team-a', {
      ...customer({ domains: ['a.test', 'b.test'] }),
      status: w.customers.get('team-a')?.status,
    })
    await w.reconciler.reconcile('team-a/blog')
    assert.deepEqual(
      w.summary().filter((write) => !write.startsWith('APPLY')),
      ['EVENT RouteApplied', 'EVENT DomainClaimed', 'EVENT CertificatePending'],
    )
  })

  it('on delete removes the generated objects, then the finalizer, in two passes', async () => {
    const w = world(site(withDomains('a.test'), withFinalizer))
    await w.reconciler.reconcile('team-a/blog')
    w.summary()
    deleting(w.siteCache.get('team-a/blog') as StaticSite)
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'cleanup')
    assert.equal(w.summary().filter((s) => s.startsWith('DELETE')).length, 5)
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'finalizer-removed')
    assert.deepEqual(w.writes.at(-1)?.body, { metadata: { resourceVersion: '100', finalizers: [] } })
  })

  it('on upgrade deletes the objects an older operator named <key>-<part> and applies their new names, keeping the Certificate', async () => {
    const w = world(site(withDomains('a.test'), withFinalizer))
    await w.reconciler.reconcile('team-a/blog')
    w.summary()
    for (const [kind, name] of [
      ['IngressRoute', 'team-a--blog'],
      ['IngressRoute', 'team-a--blog-http'],
      ['Middleware', 'team-a--blog-prefix'],
    ] as const) {
      const current = [...w.generated.values()].find((o) => o.kind === kind) as KubeObject
      const legacy = { ...structuredClone(current), metadata: { ...current.metadata, name } }
      w.generated.set(`${kind}/${name}`, legacy)
    }
    await w.reconciler.reconcile('team-a/blog')
    assert.deepEqual(w.summary(), [
      `DELETE ${SYSTEM}/ingressroutes/team-a--blog`,
      `DELETE ${SYSTEM}/ingressroutes/team-a--blog-http`,
      `DELETE ${SYSTEM}/middlewares/team-a--blog-prefix`,
    ])
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'none')
  })

  it('never deletes an object named for another site though it is labelled for this one, and its own site restores it', async () => {
    const w = world(
      site(withDomains('a.test'), withFinalizer),
      site(named('blog-http'), withDomains('b.test'), withFinalizer),
    )
    await w.reconciler.reconcile('team-a/blog')
    await w.reconciler.reconcile('team-a/blog-http')
    w.summary()
    const hijacked = w.generated.get(`IngressRoute/${httpRouteName(KEY)}`) as KubeObject & {
      spec: { routes: { match: string }[] }
    }
    hijacked.metadata.labels = { ...hijacked.metadata.labels, [SITE_LABEL]: 'team-a--blog-http' }
    hijacked.spec.routes[0] = { match: 'Host(`evil.test`)' }
    assert.equal(await w.reconciler.reconcile('team-a/blog-http'), 'none')
    await w.reconciler.reconcile('team-a/blog')
    assert.deepEqual(w.summary(), [`APPLY ${SYSTEM}/ingressroutes/${httpRouteName(KEY)}`])
    const restored = w.generated.get(`IngressRoute/${httpRouteName(KEY)}`) as typeof hijacked
    assert.equal(restored.metadata.labels?.[SITE_LABEL], 'team-a--blog')
    assert.ok(!JSON.stringify(restored.spec).includes('evil.test'))
  })

  it('removes the objects of a site that no longer exists (an orphan)', async () => {
    const w = world(site(withDomains('a.test'), withFinalizer))
    await w.reconciler.reconcile('team-a/blog')
    w.summary()
    w.siteCache.clear()
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'cleanup')
    assert.equal(w.generated.size, 0)
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'none')
  })

  describe('with tls.mode secret', () => {
    const COPY = `/api/v1/namespaces/hostplane-system/secrets/${tlsCopyName(KEY)}`
    let certificate: TestCertificate
    let otherDomain: TestCertificate
    before(async () => {
      const dates = { notBefore: new Date('2026-01-01'), notAfter: new Date('2026-06-01') }
      ;[certificate, otherDomain] = await Promise.all([
        selfSignedCertificate({ domains: ['a.test'], ...dates }),
        selfSignedCertificate({ domains: ['elsewhere.test'], ...dates }),
      ])
    })
    const tlsSecret = (data: Record<string, string>): SecretObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'blog-cert', namespace: 'team-a' },
      type: 'kubernetes.io/tls',
      data,
    })
    const secretSite = () =>
      site(withDomains('a.test'), withTls({ mode: 'secret', secretName: 'blog-cert' }), withFinalizer)

    it('copies a valid Secret of the site namespace first, routes with the copy, and writes nothing the second time', async () => {
      const w = world(secretSite())
      w.secrets.set('team-a/blog-cert', tlsSecret({ ...tlsData(certificate), extra: 'aGk=' }))
      await w.reconciler.reconcile('team-a/blog')
      assert.deepEqual(w.summary(), [`APPLY ${COPY}`, ...FIRST_ROUTE_WRITES, 'EVENT TlsSecretValid'])
      const copy = w.generated.get(`Secret/${tlsCopyName(KEY)}`) as SecretObject
      assert.deepEqual(copy.data, tlsData(certificate), 'only the certificate and key are copied')
      assert.equal(copy.type, 'kubernetes.io/tls')
      const route = w.generated.get(`IngressRoute/${routeName(KEY)}`) as KubeObject & {
        spec: { tls: unknown }
      }
      assert.deepEqual(route.spec.tls, { secretName: tlsCopyName(KEY) })
      assert.equal(await w.reconciler.reconcile('team-a/blog'), 'none')
      assert.deepEqual(w.summary(), [])
    })

    it('keeps the last valid copy when the Secret turns invalid or disappears, and reports why', async () => {
      const w = world(secretSite())
      w.secrets.set('team-a/blog-cert', tlsSecret(tlsData(certificate)))
      await w.reconciler.reconcile('team-a/blog')
      w.summary()
      w.secrets.set('team-a/blog-cert', tlsSecret(tlsData(otherDomain)))
      await w.reconciler.reconcile('team-a/blog')
      assert.deepEqual(w.summary(), [
        'APPLY /apis/hostplane.dev/v1alpha1/namespaces/team-a/staticsites/blog/status',
        'EVENT TlsSecretDomainMismatch',
      ])
      assert.deepEqual(
        (w.generated.get(`Secret/${tlsCopyName(KEY)}`) as SecretObject).data,
        tlsData(certificate),
      )
      w.secrets.clear()
      await w.reconciler.reconcile('team-a/blog')
      assert.deepEqual(w.summary(), [
        'APPLY /apis/hostplane.dev/v1alpha1/namespaces/team-a/staticsites/blog/status',
        'EVENT TlsSecretMissing',
      ])
      const status = w.siteCache.get('team-a/blog')?.status
      assert.match(
        status?.conditions?.find((c) => c.type === 'CertificateReady')?.message ?? '',
        /does not exist.*; the last valid copy is served until it is fixed$/,
      )
    })

    it('copies nothing and reports a missing Secret when there never was a valid one', async () => {
      const w = world(secretSite())
      await w.reconciler.reconcile('team-a/blog')
      assert.ok(!w.summary().includes(`APPLY ${COPY}`))
      assert.equal(w.generated.has(`Secret/${tlsCopyName(KEY)}`), false)
    })

    it('deletes the copy with the site, and when the site leaves tls.mode secret', async () => {
      const w = world(secretSite())
      w.secrets.set('team-a/blog-cert', tlsSecret(tlsData(certificate)))
      await w.reconciler.reconcile('team-a/blog')
      w.summary()
      const cached = w.siteCache.get('team-a/blog') as StaticSite
      cached.spec.tls = { mode: 'none' }
      await w.reconciler.reconcile('team-a/blog')
      assert.ok(w.summary().includes(`DELETE ${COPY}`))
      cached.spec.tls = { mode: 'secret', secretName: 'blog-cert' }
      await w.reconciler.reconcile('team-a/blog')
      w.summary()
      deleting(cached)
      assert.equal(await w.reconciler.reconcile('team-a/blog'), 'cleanup')
      assert.ok(w.summary().includes(`DELETE ${COPY}`))
    })
  })

  it('writes the refusal once for a domain the platform reserves, then nothing on every later pass', async () => {
    const w = world(site(withDomains('x.pages.test'), withFinalizer))
    await w.reconciler.reconcile('team-a/blog')
    assert.deepEqual(w.summary(), [
      'APPLY /apis/hostplane.dev/v1alpha1/namespaces/team-a/staticsites/blog/status',
      'EVENT DomainRefused',
      'EVENT DomainRefused',
      'EVENT NoRoute',
    ])
    await w.reconciler.reconcile('team-a/blog')
    assert.deepEqual(w.summary(), [])
  })

  it('a generated object an admission policy denies: Routed and Ready say what to change, once; nothing is sent until the retry', async () => {
    const w = world(site(withDomains('a.test'), withFinalizer))
    const route = `${SYSTEM}/ingressroutes/${routeName('team-a--blog')}`
    w.refused.set(
      route,
      new KubeApiError(
        422,
        'Invalid',
        'PATCH …',
        {},
        `ingressroutes.traefik.io "${routeName('team-a--blog')}" is forbidden: ValidatingAdmissionPolicy 'routes.example' with binding 'routes.example' denied request: too many routes`,
      ),
    )
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'applied')
    const written = w.summary()
    assert.ok(written.includes(`REFUSED ${route}`))
    assert.deepEqual(written.slice(-4), [
      'APPLY /apis/hostplane.dev/v1alpha1/namespaces/team-a/staticsites/blog/status',
      'EVENT AdmissionDenied',
      'EVENT DomainClaimed',
      'EVENT CertificatePending',
    ])
    const routed = w.siteCache.get('team-a/blog')?.status?.conditions?.find((c) => c.type === 'Routed')
    assert.deepEqual(
      [routed?.status, routed?.message],
      [
        'False',
        `IngressRoute ${routeName('team-a--blog')}: denied by routes.example: too many routes — change the site as the message says`,
      ],
    )
    assert.equal(await w.reconciler.reconcile('team-a/blog'), 'refused')
    assert.deepEqual(w.summary(), [])
  })
})
