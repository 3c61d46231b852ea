/**
 * `tls.mode: secret` on a real API server: a site names a Secret of its own namespace, the
 * operator (with its own ServiceAccount token) checks it and copies a valid one into the system
 * namespace for Traefik; a Secret of the system namespace or of another tenant cannot be named.
 * The operator reads the customer namespace's Secrets only through the binding the Customer
 * operator makes there (hostplane-operator-tls-secrets), under the install's operator guard.
 * Certificates are made with openssl at test time.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { siteKey } from '../../src/api/site-key.js'
import { findCondition } from '../../src/kube/conditions.js'
import type { KubeObject } from '../../src/kube/object.js'
import { KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { REASON as CUSTOMER_REASON } from '../../src/operator/customer/conditions.js'
import { customerGroup } from '../../src/operator/customer/names.js'
import type { Operator } from '../../src/operator/operator.js'
import { REASON } from '../../src/operator/staticsite/conditions.js'
import { routeName, tlsCopyName } from '../../src/operator/staticsite/generated.js'
import { STATICSITES } from '../../src/operator/staticsite/site.js'
import type { SecretObject } from '../../src/operator/staticsite/tls-secret.js'
import { WEBSPACES } from '../../src/operator/webspace/owned.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { selfSignedCertificate, type TestCertificate, tlsData } from '../fixtures/tls-certificate.js'
import { OperatorEnv, SELECTOR_LABEL } from './harness.js'

const env = await clusterForTests()

interface IngressRoute extends KubeObject {
  spec: { tls?: { secretName: string } }
}

describe('tls.mode secret on a real API server', { skip: env.skip }, () => {
  let test: OperatorEnv
  let operator: Operator
  /** The customer's own credentials (a client certificate of its group). */
  let tenant: KubeRest
  let namespace: string
  let otherTenant: string
  let domain: string
  let certificate: TestCertificate
  let renewed: TestCertificate
  let expired: TestCertificate
  let elsewhere: TestCertificate

  const secretsPath = (ns: string, name?: string) =>
    resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace: ns, name })
  /** The tenant's Secret, put there by an admin (how it got there is not under test). */
  const putSecret = (ns: string, name: string, data: Record<string, string>, type = 'kubernetes.io/tls') =>
    test.admin.apply(
      secretsPath(ns, name),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, type, data },
      { fieldManager: 'hostplane-test', force: true },
    )
  /** A site created with the tenant's own credentials, naming `secretName` with tls.mode secret. */
  const createSite = (name: string, secretName: string) =>
    tenant.request('POST', test.sitePath(namespace), {
      body: {
        apiVersion: STATICSITES.apiVersion,
        kind: STATICSITES.kind,
        metadata: { name, labels: { [SELECTOR_LABEL]: test.selector.split('=')[1] } },
        spec: {
          repo: `https://git.example.com/${name}.git`,
          domains: [`${name}.${domain}`],
          tls: { mode: 'secret', secretName },
        },
      },
    })
  const copyOf = (site: string) =>
    test.getGenerated<SecretObject>('Secret', tlsCopyName(siteKey(namespace, site)))
  const certificateReady = async (site: string, reason: string, status: 'True' | 'False' = 'False') => {
    const found = await test.waitForCondition(namespace, site, 'CertificateReady', status, reason)
    return findCondition(found.status?.conditions, 'CertificateReady')?.message ?? ''
  }

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'tls')
    await test.setUp()
    const customer = `tls-${test.tag}`
    domain = `${customer}.example`
    operator = await test.startOperator({ resyncMs: 60_000, tlsRecheckMs: 1000 })
    await test.createCustomer(customer)
    namespace =
      (await test.waitForCustomer(customer, 'Ready', 'True', CUSTOMER_REASON.Ready)).status?.namespace ?? ''
    otherTenant = await test.createNamespace(`t-tls-other-${test.tag}`)
    tenant = new KubeRest(await cluster.userKubeConfig(`alice-${test.tag}`, [customerGroup(customer)]))
    const sites = ['www', 'old', 'opaque', 'none', 'system', 'other', 'gone', 'shop'].map(
      (s) => `${s}.${domain}`,
    )
    ;[certificate, renewed, expired, elsewhere] = await Promise.all([
      selfSignedCertificate({ domains: sites }),
      selfSignedCertificate({ domains: [`*.${domain}`] }),
      selfSignedCertificate({
        domains: sites,
        notBefore: new Date('2020-01-01T00:00:00Z'),
        notAfter: new Date('2020-02-01T00:00:00Z'),
      }),
      selfSignedCertificate({ domains: ['elsewhere.example'] }),
    ])
  })

  after(async () => {
    await operator?.stop()
    tenant?.close()
    await test?.tearDown()
    test?.admin.close()
    await env.release()
  })

  it('copies a valid Secret of the site namespace into the system namespace and reports CertificateReady=True with its expiry', async () => {
    await putSecret(namespace, 'www-cert', tlsData(certificate))
    await createSite('www', 'www-cert')
    const message = await certificateReady('www', REASON.TlsSecretValid, 'True')
    const notAfter = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)
    assert.match(
      message,
      new RegExp(
        `Secret www-cert in namespace ${namespace} covers www\\.${domain} and expires at ${notAfter}`,
      ),
    )
    const copy = await copyOf('www')
    assert.equal(copy?.type, 'kubernetes.io/tls')
    assert.deepEqual(copy?.data, tlsData(certificate))
    const route = await test.getGenerated<IngressRoute>('IngressRoute', routeName(siteKey(namespace, 'www')))
    assert.deepEqual(route?.spec.tls, { secretName: tlsCopyName(siteKey(namespace, 'www')) })
  })

  it('keeps serving the last valid copy when the Secret is updated with a certificate for other domains, and takes a valid renewal', async () => {
    await putSecret(namespace, 'www-cert', tlsData(elsewhere))
    const message = await certificateReady('www', REASON.TlsSecretDomainMismatch)
    assert.match(
      message,
      new RegExp(
        `does not cover www\\.${domain} \\(it names DNS:elsewhere\\.example\\); the last valid copy is served`,
      ),
    )
    assert.deepEqual((await copyOf('www'))?.data, tlsData(certificate), 'the previous copy is kept')
    await putSecret(namespace, 'www-cert', tlsData(renewed))
    await certificateReady('www', REASON.TlsSecretValid, 'True')
    assert.deepEqual((await copyOf('www'))?.data, tlsData(renewed))
  })

  const refused: {
    name: string
    site: string
    secret: () => Promise<unknown>
    reason: string
    says: RegExp
  }[] = [
    {
      name: 'an expired certificate',
      site: 'old',
      secret: () => putSecret(namespace, 'old-cert', tlsData(expired)),
      reason: REASON.TlsSecretExpired,
      says: /expired at 2020-02-01T00:00:00\.000Z/,
    },
    {
      name: 'a Secret that is not of type kubernetes.io/tls',
      site: 'opaque',
      secret: () => putSecret(namespace, 'opaque-cert', tlsData(certificate), 'Opaque'),
      reason: REASON.TlsSecretInvalid,
      says: /has type Opaque/,
    },
    {
      name: 'a Secret that does not exist',
      site: 'none',
      secret: async () => undefined,
      reason: REASON.TlsSecretMissing,
      says: /does not exist/,
    },
  ]
  for (const c of refused)
    it(`reports ${c.reason} for ${c.name}, and copies nothing`, async () => {
      await c.secret()
      await createSite(c.site, `${c.site}-cert`)
      assert.match(await certificateReady(c.site, c.reason), c.says)
      assert.equal(await copyOf(c.site), undefined)
    })

  it('cannot serve a Secret of the system namespace or of another tenant: the name finds nothing in the own namespace', async () => {
    await putSecret(test.systemNamespace, 'platform-cert', tlsData(certificate))
    await putSecret(otherTenant, 'their-cert', tlsData(certificate))
    await createSite('system', 'platform-cert')
    await createSite('other', 'their-cert')
    for (const [site, secret] of [
      ['system', 'platform-cert'],
      ['other', 'their-cert'],
    ] as const) {
      const message = await certificateReady(site, REASON.TlsSecretMissing)
      assert.match(message, new RegExp(`Secret ${secret} in namespace ${namespace} does not exist`))
      assert.equal(await copyOf(site), undefined)
    }
    const error = await createSite('elsewhere', `${otherTenant}/their-cert`).then(
      () => assert.fail('a namespace in tls.secretName was accepted'),
      (e: unknown) => e,
    )
    assert.ok(error instanceof KubeApiError && error.status === 422, String(error))
    assert.match(error.message, /tls.secretName must be a Kubernetes object name/)
  })

  it('checks the Secret a Webspace names in its own namespace, which its IngressRoute references there', async () => {
    const runtime = await test.createRuntime()
    const createWebspace = (name: string, secretName: string) =>
      tenant.request('POST', test.webspacePath(namespace), {
        body: {
          apiVersion: WEBSPACES.apiVersion,
          kind: WEBSPACES.kind,
          metadata: { name },
          spec: { runtime, domains: [`${name}.${domain}`], tls: { mode: 'secret', secretName } },
        },
      })
    const certificateReadyOf = (name: string, reason: string) =>
      test.waitForWebspace(
        namespace,
        name,
        `CertificateReady is ${reason}`,
        (w) => findCondition(w.status?.conditions, 'CertificateReady')?.reason === reason,
      )
    await putSecret(namespace, 'shop-cert', tlsData(certificate))
    await createWebspace('shop', 'shop-cert')
    const shop = await certificateReadyOf('shop', REASON.TlsSecretValid)
    assert.match(findCondition(shop.status?.conditions, 'CertificateReady')?.message ?? '', /expires at/)
    const route = await test.admin.request<IngressRoute>(
      'GET',
      resourcePath({ apiVersion: 'traefik.io/v1alpha1', plural: 'ingressroutes', namespace, name: 'shop' }),
    )
    assert.deepEqual(route.spec.tls, { secretName: 'shop-cert' })
    await createWebspace('platform', 'platform-cert')
    const platform = await certificateReadyOf('platform', REASON.TlsSecretMissing)
    assert.equal(findCondition(platform.status?.conditions, 'Ready')?.reason, REASON.TlsSecretMissing)
  })

  it('deletes the copy with the site', async () => {
    await putSecret(namespace, 'gone-cert', tlsData(certificate))
    await createSite('gone', 'gone-cert')
    await certificateReady('gone', REASON.TlsSecretValid, 'True')
    assert.ok(await copyOf('gone'))
    await tenant.request('DELETE', test.sitePath(namespace, 'gone'))
    await test.waitUntil('the copy is deleted', async () => ((await copyOf('gone')) ? undefined : true))
    assert.ok(await copyOf('www'), "another site's copy stays")
  })
})
