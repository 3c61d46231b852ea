/**
 * The shared claim table (claim-table.ts) against the operator on a real API server: each row in
 * namespaces and domains of its own, its steps a second apart (creation times have second
 * precision) and the sites of one step created within one second. A routed site has Routed and
 * DomainClaimed True and an IngressRoute for its host; a refused one has DomainClaimed False with
 * exactly the reason and message of the table, and no IngressRoute.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { siteKey } from '../../src/api/site-key.js'
import { findCondition } from '../../src/kube/conditions.js'
import { KubeRest } from '../../src/kube/rest.js'
import type { Operator } from '../../src/operator/operator.js'
import { REASON } from '../../src/operator/staticsite/conditions.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep } from '../cluster/process.js'
import { OperatorEnv } from '../operator/harness.js'
import { CLAIM_ROWS, type Names, siteId, type TableSite } from './claim-table.js'

const env = await clusterForTests()

describe('the shared claim table against the operator, on a real API server', { skip: env.skip }, () => {
  let test: OperatorEnv
  let operator: Operator

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'claimtable')
    await test.setUp()
    operator = await test.startOperator({ resyncMs: 2000 })
  })
  after(async () => {
    await operator?.stop()
    await test?.tearDown()
    test?.admin.close()
    await env.release()
  })

  CLAIM_ROWS.forEach((row, index) => {
    it(row.name, async () => {
      const names: Names = {
        ns: (name) => `t-r${index}-${name}-${test.tag}`,
        domain: (name) => name.replace(/^[^.]+/, (label) => `${label}-r${index}-${test.tag}`),
        pagesDomain: test.config.pagesDomain,
      }
      const namespaces = new Set<string>()
      const sites = new Map<string, TableSite>()
      for (const step of row.steps(names)) {
        const added = step.add ?? []
        for (const site of added)
          if (!namespaces.has(site.namespace)) namespaces.add(await test.createNamespace(site.namespace))
        if (added.length > 0) {
          // Early in a fresh second, later than every earlier step: the step's sites share a creation second.
          await sleep(1020 - (Date.now() % 1000))
          const created = await Promise.all(
            added.map((site) =>
              test.createSite(site.namespace, site.name, {
                ...(site.domains ? { domains: [...site.domains] } : {}),
                ...(site.pathPrefix ? { pathPrefix: site.pathPrefix } : {}),
              }),
            ),
          )
          assert.equal(
            new Set(created.map((s) => s.metadata.creationTimestamp)).size,
            1,
            'the sites of one step are created in the same second',
          )
          for (const site of added) sites.set(siteId(site), site)
        }
        if (step.remove) {
          const [namespace = '', name = ''] = step.remove.split('/')
          await test.deleteSite(namespace, name)
        }
        for (const [id, outcome] of Object.entries(step.expect)) {
          const site = sites.get(id)
          assert.ok(site, `${id} is a site of the row`)
          const key = siteKey(site.namespace, site.name)
          if (outcome.routed) {
            await test.waitForCondition(site.namespace, site.name, 'Routed', 'True', REASON.RouteApplied)
            await test.waitForCondition(site.namespace, site.name, 'DomainClaimed', 'True')
            const routes = await test.generated('IngressRoute', key)
            assert.ok(
              routes.some((route) => JSON.stringify(route).includes(`Host(\`${outcome.host}\`)`)),
              `an IngressRoute of ${id} routes ${outcome.host}`,
            )
          } else {
            const refused = await test.waitForCondition(
              site.namespace,
              site.name,
              'DomainClaimed',
              'False',
              outcome.reason,
            )
            assert.equal(findCondition(refused.status?.conditions, 'DomainClaimed')?.message, outcome.message)
            assert.deepEqual(await test.generated('IngressRoute', key), [], `${id} has no IngressRoute`)
          }
        }
      }
    })
  })
})
