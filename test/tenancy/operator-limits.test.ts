/**
 * A customer's limits the operator enforces, with the operator running on its own ServiceAccount
 * against a real API server. Distinct domains across its StaticSites and Webspaces: the object
 * over the limit gets DomainQuotaExceeded, no route and no Certificate; freeing domains lets it in
 * without a restart. New certificates per hour: the site over the limit waits with
 * CertificateRateLimited and no Certificate, the orders are in the Customer's status, and a
 * restarted operator still counts them.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { siteKey } from '../../src/api/site-key.js'
import { findCondition } from '../../src/kube/conditions.js'
import { KubeRest } from '../../src/kube/rest.js'
import { REASON as CUSTOMER_REASON } from '../../src/operator/customer/conditions.js'
import { TIER_OBJECT_LIMITS } from '../../src/operator/customer/tiers.js'
import type { Operator } from '../../src/operator/operator.js'
import { REASON } from '../../src/operator/staticsite/conditions.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep } from '../cluster/process.js'
import { OperatorEnv } from '../operator/harness.js'

const env = await clusterForTests()

describe("a customer's domain limit and certificate rate, on a real API server", { skip: env.skip }, () => {
  let test: OperatorEnv
  let operator: Operator
  let runtime: string
  const customer = () => `limit-${test.tag}`
  const namespace = () => `sh-${customer()}`
  const domains = (count: number, from = 0) =>
    Array.from({ length: count }, (_, i) => `d${from + i}.${customer()}.example`)
  const limit = TIER_OBJECT_LIMITS.shared.small?.domains ?? 0
  const rateCustomer = () => `rate-${test.tag}`
  const rateNamespace = () => `sh-${rateCustomer()}`
  const rateLimit = TIER_OBJECT_LIMITS.shared.small?.certificatesPerHour ?? 0

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'limits')
    await test.setUp()
    runtime = await test.createRuntime()
    operator = await test.startOperator()
    for (const name of [customer(), rateCustomer()]) {
      await test.createCustomer(name)
      await test.waitForCustomer(name, 'Ready', 'True', CUSTOMER_REASON.Ready)
    }
  })

  after(async () => {
    await operator?.stop()
    await test?.tearDown()
    test?.admin.close()
    await env.release()
  })

  it('refuses the site and the webspace past the shared small tier’s 20 domains, with no route or Certificate, and lets them in once domains are freed', async () => {
    assert.equal(limit, 20)
    await test.createSite(namespace(), 'full', { domains: domains(limit) })
    await test.waitForCondition(namespace(), 'full', 'Routed', 'True')
    // Claims are ordered by creation time to the second: the later objects must be newer than it.
    await sleep(1100)

    await test.createWebspace(namespace(), 'shop', { runtime, domains: domains(1, limit) })
    const shop = await test.waitForWebspace(
      namespace(),
      'shop',
      'DomainClaimed is False/DomainQuotaExceeded',
      (w) => findCondition(w.status?.conditions, 'DomainClaimed')?.reason === REASON.DomainQuotaExceeded,
    )
    assert.match(
      findCondition(shop.status?.conditions, 'DomainClaimed')?.message ?? '',
      /may use 20 domains and older ones use 20; this Webspace adds 1 .*: remove domains/,
    )
    assert.equal(
      await test.webspaceRoutes(namespace()),
      0,
      'no IngressRoute or Certificate for the webspace over the limit',
    )

    await test.createSite(namespace(), 'extra', { domains: domains(1, limit + 1) })
    const extra = await test.waitForCondition(
      namespace(),
      'extra',
      'Routed',
      'False',
      REASON.DomainQuotaExceeded,
    )
    assert.equal(findCondition(extra.status?.conditions, 'Ready')?.reason, REASON.DomainQuotaExceeded)
    assert.deepEqual(await test.generated('IngressRoute', siteKey(namespace(), 'extra')), [])
    assert.deepEqual(await test.generated('Certificate', siteKey(namespace(), 'extra')), [])

    await test.updateSite(namespace(), 'full', { domains: domains(limit - 2) })
    await test.waitForCondition(namespace(), 'extra', 'Routed', 'True')
    await test.waitForWebspace(
      namespace(),
      'shop',
      'DomainClaimed is True',
      (w) => findCondition(w.status?.conditions, 'DomainClaimed')?.status === 'True',
    )
    assert.equal(
      await test.webspaceRoutes(namespace()),
      2,
      'the webspace got its IngressRoute and Certificate',
    )
  })

  it('lets the shared small tier order 5 certificates an hour; the sixth site waits, routed, with the retry time, across an operator restart', async () => {
    assert.equal(rateLimit, 5)
    for (let i = 0; i < rateLimit; i++) {
      await test.createSite(rateNamespace(), `s${i}`, { domains: [`s${i}.${rateCustomer()}.example`] })
      await test.waitUntil(`the Certificate of s${i}`, async () =>
        (await test.generated('Certificate', siteKey(rateNamespace(), `s${i}`))).length === 1
          ? true
          : undefined,
      )
    }
    const orders = (await test.getCustomer(rateCustomer()))?.status?.certificateOrders ?? []
    assert.equal(orders.length, rateLimit, 'each order is recorded in the Customer status')

    await test.createSite(rateNamespace(), 'late', { domains: [`late.${rateCustomer()}.example`] })
    const late = await test.waitForCondition(
      rateNamespace(),
      'late',
      'CertificateReady',
      'False',
      REASON.CertificateRateLimited,
    )
    assert.match(
      findCondition(late.status?.conditions, 'CertificateReady')?.message ?? '',
      /ordered 5 new certificates in the last hour.*until \d{4}-\d\d-\d\dT.*, when it retries by itself/,
    )
    assert.equal(findCondition(late.status?.conditions, 'Routed')?.status, 'True', 'the route stays')
    assert.deepEqual(await test.generated('Certificate', siteKey(rateNamespace(), 'late')), [])

    await operator.stop()
    operator = await test.startOperator()
    await test.updateSite(rateNamespace(), 'late', { domains: [`later.${rateCustomer()}.example`] })
    await test.waitForCondition(
      rateNamespace(),
      'late',
      'CertificateReady',
      'False',
      REASON.CertificateRateLimited,
    )
    assert.deepEqual(
      await test.generated('Certificate', siteKey(rateNamespace(), 'late')),
      [],
      'a restart does not reset the count',
    )
  })
})
