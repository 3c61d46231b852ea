/**
 * A customer's limit on distinct domains across its StaticSites and Webspaces, with the operator
 * running on its own ServiceAccount against a real API server: the object over the limit gets
 * DomainQuotaExceeded, no route and no Certificate; freeing domains lets it in without a restart.
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

describe("a customer's domain limit, on a real API server", { skip: env.skip }, () => {
  let test: OperatorEnv
  let operator: Operator
  let runtime: string
  const customer = () => `limit-${test.tag}`
  const namespace = () => `sh-${customer()}`
  const domains = (count: number, from = 0) =>
    Array.from({ length: count }, (_, i) => `d${from + i}.${customer()}.example`)
  const limit = TIER_OBJECT_LIMITS.shared.small?.domains ?? 0

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'domain-limit')
    await test.setUp()
    runtime = await test.createRuntime()
    operator = await test.startOperator()
    await test.createCustomer(customer())
    await test.waitForCustomer(customer(), 'Ready', 'True', CUSTOMER_REASON.Ready)
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
})
