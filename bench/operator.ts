/**
 * Operator benchmark on a cluster this script starts: N StaticSites created at once → seconds
 * until all are Routed=True, API writes per site, writes during three idle resync periods, and
 * the operator's peak RSS. The operator runs as `node build/src/cli/main.js operator` (compiled,
 * as in production) with its own ServiceAccount token, and is measured from /proc and /metrics.
 *
 *   npx tsx bench/operator.ts [--sites 1000] [--namespaces 10] [--resync-seconds 10] [--node-options=--max-semi-space-size=1]
 */
import { parseArgs } from 'node:util'
import { KubeRest } from '../src/kube/rest.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow, sleep, waitFor } from '../test/cluster/process.js'
import { OperatorEnv } from '../test/operator/harness.js'
import { OperatorProcess } from './operator-process.js'

const { values } = parseArgs({
  options: {
    sites: { type: 'string', default: '1000' },
    namespaces: { type: 'string', default: '10' },
    'resync-seconds': { type: 'string', default: '10' },
    'metrics-port': { type: 'string', default: '18089' },
    /** V8 flags for the operator process, e.g. '--max-semi-space-size=2'. */
    'node-options': { type: 'string', default: '' },
  },
})
const SITES = Number(values.sites)
const NAMESPACES = Number(values.namespaces)
const RESYNC_S = Number(values['resync-seconds'])
async function main(): Promise<void> {
  const log = (line: string) => console.error(`[bench] ${line}`)
  await runOrThrow('npm', ['run', 'build'], { cwd: REPO_ROOT })
  const cluster = await TestCluster.start({ log })
  const admin = new KubeRest(cluster.kubeConfig())
  const test = new OperatorEnv(cluster, admin, 'bench')
  const namespaces: string[] = []
  let operator: OperatorProcess | undefined
  try {
    await test.setUp()
    for (let n = 0; n < NAMESPACES; n++) namespaces.push(await test.createNamespace(`bench-${n}-${test.tag}`))
    operator = await OperatorProcess.start({
      test,
      metricsPort: Number(values['metrics-port']),
      resyncSeconds: RESYNC_S,
      nodeOptions: values['node-options'],
      extraArgs: ['--site-selector', test.selector],
    })

    log(`creating ${SITES} sites in ${NAMESPACES} namespaces`)
    const started = Date.now()
    let next = 0
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < SITES) {
          const i = next++
          await test.createSite(namespaces[i % NAMESPACES] ?? '', `site-${i}`, {
            domains: [`site-${i}.bench.test`],
          })
        }
      }),
    )
    const created = (Date.now() - started) / 1000
    await waitFor(
      async () => {
        let routed = 0
        for (const namespace of namespaces) routed += await test.routedCount(namespace)
        return routed === SITES ? true : undefined
      },
      { timeoutMs: 30 * 60_000, intervalMs: 1000, describe: () => 'not all sites were routed' },
    )
    const allRouted = (Date.now() - started) / 1000
    await sleep(3000)
    const afterConverge = await operator.writes()
    log(`idle for three resync periods (${3 * RESYNC_S} s)`)
    await sleep((3 * RESYNC_S + 2) * 1000)
    const idleWrites = (await operator.writes()) - afterConverge
    const result = {
      sites: SITES,
      createSeconds: Number(created.toFixed(1)),
      allRoutedSeconds: Number(allRouted.toFixed(1)),
      writesPerSite: Number((afterConverge / SITES).toFixed(2)),
      idleWrites,
      nodeOptions: values['node-options'],
      peakRssMiB: await operator.rssMiB('VmHWM'),
      idleRssMiB: await operator.rssMiB('VmRSS'),
    }
    console.log(JSON.stringify(result))
  } finally {
    await operator?.stop()
    admin.close()
    await cluster.stop()
  }
}

await main()
