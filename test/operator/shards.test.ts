/**
 * Two operators as shards (docs/operator.md, "Sharding"): each runs with its own `--site-selector`
 * and its own system namespace, on one API server. Sites of both shards share a tenant namespace;
 * each operator routes exactly the sites its selector names, and a site's deletion is handled by
 * its own shard while the other's objects stay as they were.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { KubeObject } from '../../src/kube/object.js'
import { KubeRest } from '../../src/kube/rest.js'
import type { Operator } from '../../src/operator/operator.js'
import { SOURCE_NAME, SOURCE_NAMESPACE } from '../../src/operator/staticsite/generated.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { OperatorEnv } from './harness.js'

const env = await clusterForTests()

/** `namespace/name` of the sites a shard's IngressRoutes were generated for. */
const sourcesOf = (routes: readonly KubeObject[]) =>
  [
    ...new Set(
      routes.map(
        (route) =>
          `${route.metadata.annotations?.[SOURCE_NAMESPACE]}/${route.metadata.annotations?.[SOURCE_NAME]}`,
      ),
    ),
  ].sort()

describe('two operators with disjoint site selectors (shards) on one API server', { skip: env.skip }, () => {
  let shardA: OperatorEnv
  let shardB: OperatorEnv
  const operators: Operator[] = []
  let tenant: string

  before(async () => {
    const cluster = await env.get()
    shardA = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'shard-a')
    shardB = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'shard-b')
    for (const shard of [shardA, shardB]) {
      await shard.setUp()
      operators.push(await shard.startOperator({ resyncMs: 10 * 60_000 }))
    }
    tenant = await shardA.createNamespace(`t-shards-${shardA.tag}`)
  })

  after(async () => {
    for (const operator of operators) await operator.stop()
    for (const shard of [shardA, shardB]) {
      await shard?.tearDown()
      shard?.admin.close()
    }
    await env.release()
  })

  it('routes each site by the shard its labels select, into that shard’s system namespace only', async () => {
    for (const [shard, name] of [
      [shardA, 'a-1'],
      [shardA, 'a-2'],
      [shardB, 'b-1'],
    ] as const)
      await shard.createSite(tenant, name, { domains: [`${name}.shards.test`] })
    for (const [shard, name] of [
      [shardA, 'a-1'],
      [shardA, 'a-2'],
      [shardB, 'b-1'],
    ] as const)
      await shard.waitForCondition(tenant, name, 'Routed', 'True')

    assert.deepEqual(sourcesOf(await shardA.generated('IngressRoute')), [`${tenant}/a-1`, `${tenant}/a-2`])
    assert.deepEqual(sourcesOf(await shardB.generated('IngressRoute')), [`${tenant}/b-1`])
  })

  it('deletes a site through its own shard; the other shard’s routes stay', async () => {
    const before = (await shardB.generated('IngressRoute')).map((route) => route.metadata.resourceVersion)
    await shardA.deleteSite(tenant, 'a-1')
    await shardA.waitUntil('a-1 gone with its finalizer', async () =>
      (await shardA.getSite(tenant, 'a-1')) ? undefined : true,
    )
    assert.deepEqual(sourcesOf(await shardA.generated('IngressRoute')), [`${tenant}/a-2`])
    assert.deepEqual(
      (await shardB.generated('IngressRoute')).map((route) => route.metadata.resourceVersion),
      before,
    )
  })
})
