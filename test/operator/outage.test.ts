import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { KubeRest } from '../../src/kube/rest.js'
import type { Operator } from '../../src/operator/operator.js'
import { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep } from '../cluster/process.js'
import { OperatorEnv } from './harness.js'

// Stopping the API server would break every other test file, so this file starts its own cluster.
const env = await clusterForTests()

describe('the StaticSite operator across an API server outage', { skip: env.skip }, () => {
  let cluster: TestCluster
  let test: OperatorEnv
  let operator: Operator

  before(async () => {
    cluster = await TestCluster.start({ log: (line) => console.error(line) })
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'outage')
    await test.setUp()
  })

  after(async () => {
    await operator?.stop()
    test?.admin.close()
    await cluster?.stop()
  })

  it('recovers by itself after the API server was down for 10 s, and converges on what changed meanwhile', async () => {
    const namespace = await test.createNamespace(`t-outage-${test.tag}`)
    operator = await test.startOperator({ leaderElection: { leaseName: 'outage' }, identity: 'only' })
    await test.createSite(namespace, 'before', { domains: ['before.test'] })
    await test.waitForCondition(namespace, 'before', 'Routed', 'True')

    await cluster.stopApiServer()
    await sleep(10_000)
    await cluster.startApiServer()

    await test.updateSite(namespace, 'before', { domains: ['after.test'] })
    for (let i = 0; i < 20; i++)
      await test.createSite(namespace, `after-${i}`, { domains: [`after-${i}.test`] })
    await test.waitUntil(
      'all 21 sites routed for their current generation',
      async () => ((await test.routedCount(namespace)) === 21 ? true : undefined),
      90_000,
    )
    assert.equal((await test.getSite(namespace, 'before'))?.status?.url, 'https://after.test/')
    assert.ok(operator.leading, 'the operator leads again')
  })
})
