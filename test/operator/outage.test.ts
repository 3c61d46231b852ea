import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { KubeRest } from '../../src/kube/rest.js'
import { recordingLogger } from '../../src/ops/log.js'
import type { Operator } from '../../src/operator/operator.js'
import { STATICSITES } from '../../src/operator/staticsite/site.js'
import { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep, waitFor } from '../cluster/process.js'
import { OperatorEnv } from './harness.js'

// Stopping the API server would break every other test file, so this file starts its own cluster.
const env = await clusterForTests()

/** The watches' liveness bound (Informer's `livenessMs` default). */
const LIVENESS_MS = 60_000

/**
 * After the API server starts, the admission policies whose parameters are Customers refuse every
 * StaticSite write until its discovery has the CRD again ("failed to find resource referenced by
 * paramKind", kubernetes/kubernetes#124237; docs/tenancy.md says so). Waits that window out with
 * a dry-run create, as a client's retry would, and returns how long it lasted.
 */
async function untilCustomerPoliciesResolve(test: OperatorEnv, namespace: string): Promise<number> {
  const started = Date.now()
  await waitFor(
    async () => {
      try {
        await test.admin.request('POST', test.sitePath(namespace), {
          query: { dryRun: 'All' },
          body: {
            apiVersion: STATICSITES.apiVersion,
            kind: STATICSITES.kind,
            metadata: { name: 'probe', namespace },
            spec: { repo: 'https://git.example.com/probe.git' },
          },
        })
        return true
      } catch (error) {
        if (/referenced by paramKind|not yet synced/.test(String(error))) return undefined
        throw error
      }
    },
    { timeoutMs: 120_000, intervalMs: 500, describe: () => 'the Customer admission policies to resolve' },
  )
  return Date.now() - started
}

describe('the StaticSite operator across an API server outage', { skip: env.skip }, () => {
  let cluster: TestCluster
  let test: OperatorEnv
  const operators: Operator[] = []

  before(async () => {
    cluster = await TestCluster.start({ log: (line) => console.error(line) })
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'outage')
    await test.setUp()
  })

  after(async () => {
    cluster?.resumeApiServer()
    for (const operator of operators) await operator.stop()
    test?.admin.close()
    await cluster?.stop()
  })

  it('recovers by itself after the API server was down for 10 s, converges on what changed meanwhile, and logs the failing lease once, without a stack trace', async () => {
    const namespace = await test.createNamespace(`t-outage-${test.tag}`)
    const { log, lines } = recordingLogger('info')
    const operator = await test.startOperator({
      leaderElection: { leaseName: 'outage' },
      identity: 'only',
      log,
    })
    operators.push(operator)
    await test.createSite(namespace, 'before', { domains: ['before.test'] })
    await test.waitForCondition(namespace, 'before', 'Routed', 'True')

    await cluster.stopApiServer()
    await sleep(10_000)
    await cluster.startApiServer()
    const unresolvedMs = await untilCustomerPoliciesResolve(test, namespace)
    console.error(`the Customer admission policies resolved ${unresolvedMs} ms after the API server started`)

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

    const lease = lines.filter((line) => line.lease === 'outage')
    assert.equal(
      lease.filter(
        (line) => line.level === 40 && line.msg === 'could not acquire or renew the lease; retrying',
      ).length,
      1,
      `one warning for the whole outage: ${JSON.stringify(lease)}`,
    )
    assert.ok(
      lease.some((line) => line.msg === 'the API server answers about the lease again'),
      'and one line when it works again',
    )
    assert.ok(!JSON.stringify(lease).includes('"stack"'), 'no stack trace')
    await operator.stop()
  })

  it('without leader election, notices a hung API server (SIGSTOP) within a minute, and after SIGCONT reconciles a change made since', async () => {
    const namespace = await test.createNamespace(`t-hung-${test.tag}`)
    const { log, lines } = recordingLogger('info')
    const operator = await test.startOperator({
      identity: 'alone',
      log,
      listen: { host: '127.0.0.1', port: 0 },
    })
    operators.push(operator)
    const readyz = async () => (await fetch(`${operator.opsUrl}/readyz`)).status
    await test.createSite(namespace, 'site', { domains: ['before.hung.test'] })
    await test.waitForCondition(namespace, 'site', 'Routed', 'True')
    assert.equal(await readyz(), 200)

    cluster.pauseApiServer()
    const paused = Date.now()
    try {
      await waitFor(async () => ((await readyz()) === 503 ? true : undefined), {
        timeoutMs: LIVENESS_MS + 30_000,
        intervalMs: 250,
        describe: () => 'the operator /readyz to report the hung API server',
      })
      const noticedAfterMs = Date.now() - paused
      assert.ok(noticedAfterMs <= LIVENESS_MS + 5000, `noticed after ${noticedAfterMs} ms`)
      await waitFor(
        () => (lines.some((line) => String(line.error).includes('no event or bookmark')) ? true : undefined),
        { timeoutMs: 10_000, describe: () => 'a log line saying which watch got nothing' },
      )
    } finally {
      cluster.resumeApiServer()
    }

    await test.updateSite(namespace, 'site', { domains: ['after.hung.test'] })
    await test.waitUntil(
      'the change made after the hang reconciled',
      async () => {
        const site = await test.getSite(namespace, 'site')
        return site?.status?.observedGeneration === site?.metadata.generation &&
          site?.status?.url === 'https://after.hung.test/'
          ? true
          : undefined
      },
      60_000,
    )
    await waitFor(async () => ((await readyz()) === 200 ? true : undefined), {
      timeoutMs: 30_000,
      describe: () => 'the operator /readyz 200 again',
    })
    assert.equal((await fetch(`${operator.opsUrl}/healthz`)).status, 200, 'alive all along')
    const warnings = lines.filter((line) => line.level === 40)
    assert.ok(!JSON.stringify(warnings).includes('"stack"'), 'the warnings carry no stack trace')
    await operator.stop()
  })
})
