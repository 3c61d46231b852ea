import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import {
  selfSignedCertificate,
  type TestCertificate,
  tlsData,
} from '../../../test/fixtures/tls-certificate.js'
import type { Customer } from '../../api/resources.js'
import { customer } from '../customer/fixtures.js'
import { REASON } from './conditions.js'
import { config, runtime, webspace } from './fixtures.js'
import type { Claim } from '../../domains/claims.js'
import type { Refusal } from '../../kube/refusal.js'
import { type Deployment, planWebspace, type WebspaceInputs } from './plan.js'

const available: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop' },
  status: {
    replicas: 1,
    readyReplicas: 1,
    availableReplicas: 1,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'done' },
    ],
  },
}
const inputs = (overrides: Partial<WebspaceInputs> = {}): WebspaceInputs => ({
  webspace: webspace(),
  runtime,
  customer: customer(),
  deployment: undefined,
  rivals: [],
  config,
  now: new Date('2026-03-01T12:00:00Z'),
  ...overrides,
})
const condition = (plan: ReturnType<typeof planWebspace>, type: string) =>
  plan.conditions.find((c) => c.type === type)
const older = (kind: Claim['kind'], namespace: string): Claim => ({
  kind,
  namespace,
  name: 'first',
  claimedAt: Date.parse('2025-01-01T00:00:00Z'),
  domains: ['shop-sh-acme.pages.test', 'shop.example'],
  pathPrefix: '/',
})
const ready = (plan: ReturnType<typeof planWebspace>) => plan.conditions.find((c) => c.type === 'Ready')

describe('planWebspace', () => {
  it('a webspace whose Deployment is available is Ready at its default URL with the Deployment’s counts', () => {
    const plan = planWebspace(inputs({ deployment: available }))
    assert.equal(ready(plan)?.status, 'True')
    assert.equal(plan.url, 'https://shop-sh-acme.pages.test/')
    assert.deepEqual(plan.counts, { replicas: 1, readyReplicas: 1, availableReplicas: 1 })
  })

  it('before the Deployment reports, Available is Unknown and Ready is False with DeploymentPending', () => {
    assert.equal(ready(planWebspace(inputs()))?.reason, REASON.DeploymentPending)
  })

  const problems: [string, Partial<WebspaceInputs>, string][] = [
    ['a namespace without a Customer', { customer: undefined }, REASON.NoCustomer],
    ['a missing Runtime', { runtime: undefined }, REASON.RuntimeNotFound],
    [
      'a size the tier does not offer',
      { customer: customer({ tier: 'dedicated', size: 'large' }), webspace: webspace({ size: 'small' }) },
      REASON.SizeNotOffered,
    ],
  ]
  for (const [what, overrides, reason] of problems) {
    it(`${what} renders no objects and reports ${reason}`, () => {
      const plan = planWebspace(inputs(overrides))
      assert.equal(plan.objects, undefined)
      assert.equal(ready(plan)?.reason, reason)
      assert.equal(plan.conditions.find((c) => c.type === 'Deployed')?.reason, reason)
    })
  }

  it('a tls.clusterIssuer the customer may not use (stored before the admission policy) runs routed without a Certificate', () => {
    const plan = planWebspace(
      inputs({ webspace: webspace({ tls: { mode: 'auto', clusterIssuer: 'platform-ca' } }) }),
    )
    assert.deepEqual(
      plan.objects?.map((o) => o.kind).filter((kind) => kind === 'Certificate' || kind === 'IngressRoute'),
      ['IngressRoute'],
    )
    const certificate = plan.conditions.find((c) => c.type === 'CertificateReady')
    assert.equal(certificate?.reason, REASON.IssuerNotAllowed)
    assert.match(certificate?.message ?? '', /platform-ca is not allowed/)
    assert.equal(plan.conditions.find((c) => c.type === 'Deployed')?.status, 'True')
    assert.equal(ready(plan)?.reason, REASON.IssuerNotAllowed)
    assert.equal(plan.recordOrders, undefined, 'no order is counted for a Certificate it will not get')
  })

  it('an issuer the platform or the customer allows is deployed, and tls.mode none names none', () => {
    for (const clusterIssuer of ['letsencrypt-staging', 'acme-ca'])
      assert.notEqual(
        planWebspace(
          inputs({
            webspace: webspace({ tls: { mode: 'auto', clusterIssuer } }),
            customer: customer({ clusterIssuers: ['acme-ca'] }),
          }),
        ).objects,
        undefined,
      )
  })

  describe('with tls.mode secret', () => {
    const domains = ['shop.acme.example']
    let valid: TestCertificate
    before(async () => {
      valid = await selfSignedCertificate({
        domains,
        notAfter: new Date('2026-06-01T00:00:00Z'),
        notBefore: new Date('2026-01-01T00:00:00Z'),
      })
    })
    const secretInputs = (tlsSecret: WebspaceInputs['tlsSecret']) =>
      inputs({
        webspace: webspace({ domains, tls: { mode: 'secret', secretName: 'shop-cert' } }),
        deployment: available,
        tlsSecret,
      })

    it('its IngressRoute names the Secret of its own namespace, and a valid one makes CertificateReady True with the expiry', () => {
      const plan = planWebspace(
        secretInputs({
          kind: 'found',
          secret: {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'shop-cert' },
            type: 'kubernetes.io/tls',
            data: tlsData(valid),
          },
        }),
      )
      const route = plan.objects?.find((o) => o.kind === 'IngressRoute') as
        { spec?: { tls?: unknown } } | undefined
      assert.deepEqual(route?.spec?.tls, { secretName: 'shop-cert' })
      assert.equal(condition(plan, 'CertificateReady')?.reason, REASON.TlsSecretValid)
      assert.match(condition(plan, 'CertificateReady')?.message ?? '', /expires at 2026-06-01T00:00:00.000Z/)
      assert.equal(ready(plan)?.status, 'True')
    })

    it('a missing Secret makes CertificateReady and Ready False with TlsSecretMissing', () => {
      const plan = planWebspace(secretInputs({ kind: 'missing' }))
      assert.equal(condition(plan, 'CertificateReady')?.reason, REASON.TlsSecretMissing)
      assert.equal(ready(plan)?.reason, REASON.TlsSecretMissing)
    })

    it('other modes report no CertificateReady', () => {
      assert.equal(condition(planWebspace(inputs()), 'CertificateReady'), undefined)
    })
  })

  const refusals: [string, Refusal, string, string][] = [
    [
      'the tier quota policy refusing the Deployment is QuotaExceeded, to be fixed by replicas or size',
      {
        reason: 'AdmissionDenied',
        object: 'Deployment shop',
        detail: 'denied by hostplane.dev-tier-quota: replicas × limits exceed the quota',
        resources: [],
        admission: 'hostplane.dev-tier-quota',
      },
      REASON.QuotaExceeded,
      'Deployment shop: denied by hostplane.dev-tier-quota: replicas × limits exceed the quota — lower spec.replicas or spec.size, or ask for a larger tier',
    ],
    [
      'a ResourceQuota refusing the claim is QuotaExceeded, to be fixed by the storage size',
      {
        reason: 'QuotaExceeded',
        object: 'PersistentVolumeClaim shop-data',
        detail: 'exceeded quota requests.storage: requested 10Gi, used 0, limited 5Gi',
        resources: ['requests.storage'],
      },
      REASON.QuotaExceeded,
      'PersistentVolumeClaim shop-data: exceeded quota requests.storage: requested 10Gi, used 0, limited 5Gi — lower spec.storage.size or ask for a larger tier',
    ],
    [
      'a quota on the number of objects is QuotaExceeded, to be fixed by fewer webspaces',
      {
        reason: 'QuotaExceeded',
        object: 'Service shop',
        detail: 'exceeded quota services: requested 1, used 10, limited 10',
        resources: ['services'],
      },
      REASON.QuotaExceeded,
      'Service shop: exceeded quota services: requested 1, used 10, limited 10 — delete webspaces you no longer need or ask for a larger tier',
    ],
    [
      'another policy is AdmissionDenied',
      {
        reason: 'AdmissionDenied',
        object: 'Deployment shop',
        detail: 'denied by images.example: unsigned image',
        resources: [],
        admission: 'images.example',
      },
      REASON.AdmissionDenied,
      'Deployment shop: denied by images.example: unsigned image — change the webspace as the message says',
    ],
    [
      "missing RBAC is WriteForbidden, the platform operator's to fix",
      {
        reason: 'WriteForbidden',
        object: 'Service shop',
        detail: 'forbidden: User "op" cannot patch resource "services"',
        resources: [],
      },
      REASON.WriteForbidden,
      'Service shop: forbidden: User "op" cannot patch resource "services" — the operator\'s RBAC does not allow this write: ask the platform operator',
    ],
  ]
  for (const [what, refusal, reason, message] of refusals) {
    it(`a refused apply: ${what}, and nothing is applied until the retry`, () => {
      const plan = planWebspace(inputs(), refusal)
      assert.equal(plan.objects, undefined)
      assert.deepEqual(
        [condition(plan, 'Deployed'), ready(plan)].map((c) => [c?.status, c?.reason, c?.message]),
        [
          ['False', reason, message],
          ['False', reason, message],
        ],
      )
    })
  }

  const losers: [string, Claim, string][] = [
    ['a StaticSite of another namespace', older('StaticSite', 'team-b'), REASON.DomainOwnedByOtherNamespace],
    ['a Webspace of another namespace', older('Webspace', 'sh-other'), REASON.DomainOwnedByOtherNamespace],
    ['an older StaticSite of its own namespace', older('StaticSite', 'sh-acme'), REASON.PathPrefixTaken],
  ]
  for (const [what, rival, reason] of losers) {
    it(`a webspace whose domain ${what} claimed first runs without route, Certificate or URL, naming the owner (${reason})`, () => {
      const plan = planWebspace(inputs({ deployment: available, rivals: [rival] }))
      assert.deepEqual(
        plan.objects?.map((o) => o.kind),
        ['Deployment', 'Service'],
      )
      assert.equal(plan.url, undefined)
      assert.equal(condition(plan, 'DomainClaimed')?.reason, reason)
      assert.match(condition(plan, 'DomainClaimed')?.message ?? '', new RegExp(`${rival.kind} first`))
      assert.equal(ready(plan)?.reason, reason)
    })
  }

  it('a webspace listing a name under the pages domain other than its own gets DomainRefused and no route', () => {
    const plan = planWebspace(inputs({ webspace: webspace({ domains: ['other.pages.test'] }) }))
    assert.equal(condition(plan, 'DomainClaimed')?.reason, REASON.DomainRefused)
    assert.ok(!plan.objects?.some((o) => o.kind === 'IngressRoute'))
  })

  it('a webspace listing a domain outside its customer’s domains runs without route or Certificate, saying why', () => {
    const plan = planWebspace(
      inputs({ webspace: webspace({ domains: ['shop.other.test'] }), deployment: available }),
    )
    assert.equal(condition(plan, 'DomainClaimed')?.reason, REASON.DomainNotAllowed)
    assert.match(
      condition(plan, 'DomainClaimed')?.message ?? '',
      /not allowed for customer acme: domains must be under acme\.example/,
    )
    assert.deepEqual(
      plan.objects?.map((o) => o.kind),
      ['Deployment', 'Service'],
    )
    assert.equal(plan.url, undefined)
    assert.equal(ready(plan)?.reason, REASON.DomainNotAllowed)
  })

  it('the older claim keeps its domain: a webspace is routed when its rivals are newer', () => {
    const newer = { ...older('StaticSite', 'team-b'), claimedAt: Date.parse('2027-01-01T00:00:00Z') }
    const plan = planWebspace(inputs({ rivals: [newer] }))
    assert.equal(condition(plan, 'DomainClaimed')?.status, 'True')
    assert.ok(plan.objects?.some((o) => o.kind === 'IngressRoute'))
  })

  it('over the customer’s domain limit it keeps Deployment and Service, has no route or Certificate, and says DomainQuotaExceeded', () => {
    const domains = Array.from({ length: 20 }, (_, i) => `d${i}.acme.example`)
    const full: Claim = { ...older('StaticSite', 'sh-acme'), domains }
    const plan = planWebspace(inputs({ neighbours: [full], deployment: available }))
    assert.deepEqual(
      plan.objects?.map((o) => o.kind),
      ['Deployment', 'Service'],
    )
    assert.equal(condition(plan, 'DomainClaimed')?.reason, REASON.DomainQuotaExceeded)
    assert.match(condition(plan, 'DomainClaimed')?.message ?? '', /may use 20 domains and older ones use 20/)
    assert.equal(ready(plan)?.reason, REASON.DomainQuotaExceeded)
  })

  it('past the customer’s new certificates per hour it is routed without a Certificate and says when it retries', () => {
    const now = new Date('2026-06-01T12:00:00Z')
    const orders = Array.from({ length: 5 }, (_, i) => ({ object: `o${i}`, at: '2026-06-01T11:30:00Z' }))
    const plan = planWebspace(
      inputs({ customer: { ...customer(), status: { certificateOrders: orders } }, now }),
    )
    assert.ok(!plan.objects?.some((o) => o.kind === 'Certificate'))
    assert.ok(plan.objects?.some((o) => o.kind === 'IngressRoute'))
    assert.equal(condition(plan, 'CertificateReady')?.reason, REASON.CertificateRateLimited)
    assert.equal(plan.retryAt?.toISOString(), '2026-06-01T12:30:00.000Z')
    assert.equal(
      planWebspace(inputs({ now })).recordOrders?.length,
      1,
      'under the limit the order is recorded first',
    )
  })

  it('a suspended customer’s webspace keeps Deployment and Service, has no route or URL, and is not Ready', () => {
    const suspended: Customer = customer({ suspended: true })
    const plan = planWebspace(inputs({ customer: suspended, deployment: available }))
    assert.deepEqual(
      plan.objects?.map((o) => o.kind),
      ['Deployment', 'Service', 'Certificate'],
    )
    assert.equal(plan.url, undefined)
    assert.equal(ready(plan)?.reason, REASON.CustomerSuspended)
  })
})
