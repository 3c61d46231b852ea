import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Condition } from '../../api/conditions.js'
import { customer } from '../customer/fixtures.js'
import { REASON } from './conditions.js'
import { config, createdAt, named, site, withDomains, withTls } from './fixtures.js'
import { planSite, siteClaim } from './plan.js'
import type { StaticSite } from './site.js'

const NOW = new Date('2026-06-01T00:00:00Z')

const conditions = (s: StaticSite, extra: Partial<Parameters<typeof planSite>[0]> = {}) =>
  Object.fromEntries(
    planSite({ site: s, config: config(), rivals: [], now: NOW, ...extra }).conditions.map((c) => [
      c.type,
      `${c.status}/${c.reason}`,
    ]),
  )

const synced = (status: Condition['status']) => (s: StaticSite) => {
  s.status = {
    conditions: [
      {
        type: 'Synced',
        status,
        reason: 'X',
        message: 'sync says so',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  }
}

const readyCertificate = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'team-a--blog' },
  status: {
    conditions: [
      {
        type: 'Ready',
        status: 'True' as const,
        reason: 'Ready',
        message: 'ok',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  },
}

describe('planSite while the customer is suspended', () => {
  it('keeps only the Certificate (no IngressRoute, no Middleware) and reports no URL', () => {
    const plan = planSite({
      site: site(withDomains('a.test')),
      config: config(),
      rivals: [],
      now: NOW,
      customer: customer({ suspended: true, domains: ['a.test'] }),
    })
    assert.deepEqual(
      plan.objects.map((o) => o.kind),
      ['Certificate'],
    )
    assert.equal(plan.url, undefined)
  })
})

describe('planSite over its customer’s domain limit', () => {
  const acme = customer({ domains: ['a.test'] })
  const older = (count: number) => {
    const domains = Array.from({ length: count }, (_, i) => `d${i}.a.test`)
    const claim = siteClaim(
      site(named('older'), withDomains(...domains), createdAt('2025-01-01T00:00:00Z')),
      config(),
    )
    assert.ok(claim)
    return [claim]
  }
  const plan = (neighbours: ReturnType<typeof older>) =>
    planSite({
      site: site(withDomains('www.a.test')),
      config: config(),
      rivals: [],
      now: NOW,
      customer: acme,
      neighbours,
    })

  it('gets no route and no Certificate, and says DomainQuotaExceeded with the limit and what to change', () => {
    const over = plan(older(20))
    assert.deepEqual(over.objects, [])
    assert.equal(over.url, undefined)
    const byType = Object.fromEntries(over.conditions.map((c) => [c.type, c]))
    assert.equal(byType.Routed?.reason, REASON.DomainQuotaExceeded)
    assert.equal(byType.DomainClaimed?.reason, REASON.DomainQuotaExceeded)
    assert.equal(byType.Ready?.reason, REASON.DomainQuotaExceeded)
    assert.match(
      byType.DomainClaimed?.message ?? '',
      /may use 20 domains and older ones use 20; this StaticSite adds 1 \(www\.a\.test\): remove domains/,
    )
  })

  it('is routed while the customer stays within its tier’s 20 domains', () => {
    assert.equal(plan(older(19)).url, 'https://www.a.test/')
  })
})

describe('planSite', () => {
  it('names the customer, its domains and the fix when a domain is not allowed; such a domain is no claim', () => {
    const acme = customer({ domains: ['a.test', 'b.test'] })
    const plan = planSite({
      site: site(withDomains('x.test')),
      config: config(),
      rivals: [],
      now: NOW,
      customer: acme,
    })
    assert.equal(
      plan.conditions.find((c) => c.type === 'DomainClaimed')?.message,
      "domain x.test is not allowed for customer acme: domains must be under a.test, b.test or the own default domain blog-team-a.pages.test; remove it from spec.domains, or ask the platform operator to add it to the Customer's spec.domains",
    )
    const policy = { pagesDomain: 'pages.test', customer: { name: 'acme', domains: ['a.test'] } }
    assert.equal(siteClaim(site(withDomains('x.test')), policy), undefined)
  })

  it('routes a site whose tls.clusterIssuer its customer may not use, without a Certificate, saying which issuers it may use', () => {
    const plan = planSite({
      site: site(withDomains('a.test'), withTls({ mode: 'auto', clusterIssuer: 'platform-ca' })),
      config: config(),
      rivals: [],
      now: NOW,
      customer: customer({ domains: ['a.test'], clusterIssuers: ['acme-ca'] }),
    })
    assert.ok(plan.objects.some((o) => o.kind === 'IngressRoute'))
    assert.ok(!plan.objects.some((o) => o.kind === 'Certificate'))
    const certificate = plan.conditions.find((c) => c.type === 'CertificateReady')
    assert.equal(certificate?.reason, REASON.IssuerNotAllowed)
    assert.match(certificate?.message ?? '', /use one of letsencrypt, letsencrypt-staging, acme-ca,/)
    assert.equal(plan.conditions.find((c) => c.type === 'Ready')?.reason, REASON.IssuerNotAllowed)
    const allowed = planSite({
      site: site(withDomains('a.test'), withTls({ mode: 'auto', clusterIssuer: 'acme-ca' })),
      config: config(),
      rivals: [],
      now: NOW,
      customer: customer({ domains: ['a.test'], clusterIssuers: ['acme-ca'] }),
    })
    assert.ok(allowed.objects.some((o) => o.kind === 'Certificate'))
  })

  it('uses <name>-<namespace>.<pages domain> when the site lists no domains', () => {
    assert.deepEqual(siteClaim(site(), config())?.domains, ['blog-team-a.pages.test'])
    assert.equal(
      planSite({ site: site(), config: config(), rivals: [], now: NOW }).url,
      'https://blog-team-a.pages.test/',
    )
  })

  const cases: {
    name: string
    site: StaticSite
    extra?: Partial<Parameters<typeof planSite>[0]>
    expect: Record<string, string>
    objects: boolean
  }[] = [
    {
      name: 'a routed site with a pending certificate and no sync yet is not Ready, saying why',
      site: site(withDomains('a.test')),
      expect: {
        Routed: 'True/RouteApplied',
        DomainClaimed: 'True/DomainClaimed',
        CertificateReady: 'False/CertificatePending',
        Ready: 'False/CertificatePending',
      },
      objects: true,
    },
    {
      name: 'with the certificate issued, Ready waits for the syncer when Synced is missing',
      site: site(withDomains('a.test')),
      extra: { certificate: readyCertificate },
      expect: { CertificateReady: 'True/CertificateIssued', Ready: 'False/WaitingForSync' },
      objects: true,
    },
    {
      name: 'Ready is False while the syncer reports Synced=False',
      site: site(withDomains('a.test'), withTls({ mode: 'none' }), synced('False')),
      expect: { CertificateReady: 'True/TlsDisabled', Ready: 'False/NotSynced' },
      objects: true,
    },
    {
      name: 'Ready is True when routed, certified and synced',
      site: site(withDomains('a.test'), withTls({ mode: 'none' }), synced('True')),
      expect: { CertificateReady: 'True/TlsDisabled', Ready: 'True/Ready' },
      objects: true,
    },
    {
      name: 'tls.mode secret naming a Secret the site namespace lacks routes, but is not certified nor ready',
      site: site(withDomains('a.test'), withTls({ mode: 'secret', secretName: 's' }), synced('True')),
      extra: { tlsSecret: { kind: 'missing' } },
      expect: { CertificateReady: 'False/TlsSecretMissing', Ready: 'False/TlsSecretMissing' },
      objects: true,
    },
    {
      name: 'a domain under the pages domain other than the own default is refused, with no objects',
      site: site(withDomains('other-team-b.pages.test')),
      expect: {
        Routed: 'False/DomainRefused',
        DomainClaimed: 'False/DomainRefused',
        CertificateReady: 'Unknown/NoRoute',
        Ready: 'False/DomainRefused',
      },
      objects: false,
    },
    {
      name: 'the pages domain itself is refused',
      site: site(withDomains('pages.test')),
      expect: { Routed: 'False/DomainRefused' },
      objects: false,
    },
    {
      name: 'a default domain that is not a hostname (a dot in the name) asks for spec.domains',
      site: site(named('www.example.com')),
      expect: { Routed: 'False/InvalidDefaultDomain' },
      objects: false,
    },
    {
      name: 'in a customer namespace, a domain outside the customer’s spec.domains is not allowed, with no objects',
      site: site(withDomains('shop.other.test')),
      extra: { customer: customer({ domains: ['a.test'] }) },
      expect: {
        Routed: `False/${REASON.DomainNotAllowed}`,
        DomainClaimed: `False/${REASON.DomainNotAllowed}`,
        CertificateReady: 'Unknown/NoRoute',
        Ready: `False/${REASON.DomainNotAllowed}`,
      },
      objects: false,
    },
    {
      name: 'a name below a customer domain is allowed',
      site: site(withDomains('a.test', 'www.a.test')),
      extra: { customer: customer({ domains: ['a.test'] }) },
      expect: { Routed: 'True/RouteApplied' },
      objects: true,
    },
    {
      name: 'a name that only ends with the customer domain’s letters is not below it',
      site: site(withDomains('evila.test')),
      extra: { customer: customer({ domains: ['a.test'] }) },
      expect: { Routed: `False/${REASON.DomainNotAllowed}` },
      objects: false,
    },
    {
      name: 'the own default domain is allowed to a customer without domains',
      site: site(),
      extra: { customer: customer({ domains: [] }) },
      expect: { Routed: 'True/RouteApplied' },
      objects: true,
    },
    {
      name: 'a domain a webspace of another namespace holds leaves the site unrouted, without objects',
      site: site(withDomains('a.test'), createdAt('2026-02-01T00:00:00Z')),
      extra: {
        rivals: [
          {
            kind: 'Webspace',
            namespace: 'team-b',
            name: 'x',
            claimedAt: Date.parse('2026-01-01T00:00:00Z'),
            domains: ['a.test'],
            pathPrefix: '/',
          },
        ],
      },
      expect: {
        Routed: 'False/DomainNotClaimed',
        DomainClaimed: `False/${REASON.DomainOwnedByOtherNamespace}`,
        Ready: `False/${REASON.DomainOwnedByOtherNamespace}`,
      },
      objects: false,
    },
    {
      name: 'a suspended customer’s site keeps its domain but has no route, and Ready says why',
      site: site(withDomains('a.test')),
      extra: { customer: customer({ suspended: true, domains: ['a.test'] }) },
      expect: {
        Routed: `False/${REASON.CustomerSuspended}`,
        DomainClaimed: 'True/DomainClaimed',
        Ready: `False/${REASON.CustomerSuspended}`,
      },
      objects: true,
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const got = conditions(c.site, c.extra)
      for (const [type, value] of Object.entries(c.expect)) assert.equal(got[type], value, type)
      assert.equal(
        planSite({ site: c.site, config: config(), rivals: [], now: NOW, ...c.extra }).objects.length > 0,
        c.objects,
      )
    })
  }
})
