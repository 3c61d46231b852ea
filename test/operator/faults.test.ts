import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { KubeRest } from '../../src/kube/rest.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { sleep } from '../cluster/process.js'
import { apiWrites, OperatorEnv } from './harness.js'

const env = await clusterForTests()
const SITES = 200

/** `hostplane operator` as its own process, so it can be killed without a chance to clean up. */
function operatorProcess(test: OperatorEnv): ChildProcess {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'operator', '--kubeconfig', test.kubeconfigPath]
  args.push('--system-namespace', test.systemNamespace, '--pages-domain', 'pages.test')
  args.push('--default-issuer', 'test-issuer', '--listen', '127.0.0.1:0', '--no-leader-elect')
  args.push(
    '--site-selector',
    test.selector,
    '--concurrency',
    '10',
    '--service-account',
    test.operatorAccount,
  )
  return spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
}

describe('the StaticSite operator under faults', { skip: env.skip }, () => {
  let test: OperatorEnv
  const children: ChildProcess[] = []

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'faults')
    await test.setUp()
  })

  after(async () => {
    for (const child of children) child.kill('SIGKILL')
    await test?.tearDown()
    test?.admin.close()
    await env.release()
  })

  it(`converges all ${SITES} sites when the operator is killed during their creation and restarted`, async () => {
    const namespace = await test.createNamespace(`t-faults-bulk-${test.tag}`)
    const first = operatorProcess(test)
    children.push(first)
    const creating = (async () => {
      for (let i = 0; i < SITES; i += 20)
        await Promise.all(
          Array.from({ length: Math.min(20, SITES - i) }, (_, j) =>
            test.createSite(namespace, `site-${i + j}`, { domains: [`site-${i + j}.bulk.test`] }),
          ),
        )
    })()
    await test.waitUntil(
      'some sites are routed before the kill',
      async () => ((await test.routedCount(namespace)) >= 10 ? true : undefined),
      60_000,
    )
    first.kill('SIGKILL')
    await creating
    const routedAtKill = await test.routedCount(namespace)
    assert.ok(routedAtKill < SITES, `the kill came too late to prove anything (${routedAtKill} routed)`)
    children.push(operatorProcess(test))
    await test.waitUntil(
      `all ${SITES} sites routed after the restart`,
      async () => ((await test.routedCount(namespace)) === SITES ? true : undefined),
      120_000,
    )
    assert.equal(
      (await test.generated('IngressRoute')).length,
      2 * SITES,
      'one IngressRoute per site, and one for its HTTP redirect',
    )
  })

  it('runs two replicas with leader election: only the leader writes, and the other takes over when it stops', async () => {
    const namespace = await test.createNamespace(`t-faults-ha-${test.tag}`)
    for (const child of children.splice(0)) child.kill('SIGKILL')
    const leaderElection = {
      leaseName: 'ha',
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
    }
    const first = await test.startOperator({ leaderElection, identity: 'replica-1' })
    await test.waitUntil('replica-1 leads', async () => (first.leading ? true : undefined))
    const second = await test.startOperator({ leaderElection, identity: 'replica-2' })
    try {
      await test.createSite(namespace, 'ha', { domains: ['ha.test'] })
      await test.waitForCondition(namespace, 'ha', 'Routed', 'True')
      await sleep(1500)
      assert.equal(second.leading, false)
      assert.ok((await apiWrites(first)) > 0, 'the leader wrote')
      assert.equal(
        await apiWrites(second, { leases: true }),
        0,
        'the follower wrote nothing, not even the lease',
      )

      await first.stop()
      await test.waitUntil('replica-2 takes over', async () => (second.leading ? true : undefined), 10_000)
      await test.updateSite(namespace, 'ha', { domains: ['ha2.test'] })
      const site = await test.waitForCondition(namespace, 'ha', 'Routed', 'True')
      assert.equal(site.status?.url, 'https://ha2.test/')
      assert.ok((await apiWrites(second)) > 0, 'the new leader wrote')
    } finally {
      await first.stop()
      await second.stop()
    }
  })
})
