/**
 * Operator benchmark on a cluster this script starts: N StaticSites created at once → seconds
 * until all are Routed=True (seen through a watch), API writes per site, writes during three idle
 * resync periods, and the operator's peak RSS. The operator runs as `node build/src/cli/main.js operator` (compiled,
 * as in production) with its own ServiceAccount token, and is measured from /proc and /metrics.
 *
 * With `--baseline DIR` (a worktree of another commit, e.g. main) the same run is made again with
 * that checkout's operator, each on a cluster of its own, and both results are printed; CPU seconds
 * of the operator and of the control plane (kube-apiserver + etcd) show which one the time is spent in.
 *
 *   npx tsx bench/operator.ts [--sites 1000] [--namespaces 10] [--resync-seconds 10] [--node-options=--max-semi-space-size=1] [--baseline /tmp/main]
 */
import { readdir, readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { Informer } from '../src/kube/informer.js'
import { KubeRest } from '../src/kube/rest.js'
import { silentLogger } from '../src/ops/log.js'
import { type StaticSite, STATICSITES } from '../src/operator/staticsite/site.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow, sleep, waitFor } from '../test/cluster/process.js'
import { isRouted, OperatorEnv } from '../test/operator/harness.js'
import { cpuSeconds } from './load.js'
import { OperatorProcess } from './operator-process.js'

const { values } = parseArgs({
  options: {
    sites: { type: 'string', default: '1000' },
    namespaces: { type: 'string', default: '10' },
    'resync-seconds': { type: 'string', default: '10' },
    'metrics-port': { type: 'string', default: '18089' },
    /** V8 flags for the operator process, e.g. '--max-semi-space-size=2'. */
    'node-options': { type: 'string', default: '' },
    /** Another checkout whose operator runs first, for a side-by-side run. */
    baseline: { type: 'string' },
  },
})
const SITES = Number(values.sites)
const NAMESPACES = Number(values.namespaces)
const RESYNC_S = Number(values['resync-seconds'])
const log = (line: string) => console.error(`[bench] ${line}`)

/** CPU seconds used so far by the cluster's kube-apiserver and etcd, found by their data directory. */
async function controlPlaneCpuSeconds(cluster: TestCluster): Promise<number> {
  let seconds = 0
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (command.includes(cluster.dir) && /(kube-apiserver|etcd)\0/.test(command))
      seconds += await cpuSeconds(Number(pid)).catch(() => 0)
  }
  return seconds
}

/** One run on a cluster of its own with the operator built in `root`. */
async function runWith(root: string): Promise<Record<string, unknown>> {
  await runOrThrow('npm', ['run', 'build'], { cwd: root })
  const cluster = await TestCluster.start({ log })
  const admin = new KubeRest(cluster.kubeConfig())
  const test = new OperatorEnv(cluster, admin, 'bench')
  const namespaces: string[] = []
  let operator: OperatorProcess | undefined
  let sites: Informer<StaticSite> | undefined
  try {
    await test.setUp()
    for (let n = 0; n < NAMESPACES; n++) namespaces.push(await test.createNamespace(`bench-${n}-${test.tag}`))
    operator = await OperatorProcess.start({
      test,
      metricsPort: Number(values['metrics-port']),
      resyncSeconds: RESYNC_S,
      nodeOptions: values['node-options'],
      extraArgs: ['--site-selector', test.selector],
      root,
    })
    const operatorCpuBefore = await operator.cpuSeconds()
    const controlPlaneCpuBefore = await controlPlaneCpuSeconds(cluster)

    // A watch, not a list of every site each second: at 10,000 sites such polling was a large
    // part of the API server's work, competing with the operator being measured.
    const watched = new Informer<StaticSite>({
      rest: admin,
      ...STATICSITES,
      labelSelector: test.selector,
      log: silentLogger(),
    })
    sites = watched
    await watched.start()
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
    await waitFor(async () => (watched.list().filter(isRouted).length === SITES ? true : undefined), {
      timeoutMs: 30 * 60_000,
      intervalMs: 1000,
      describe: () => 'not all sites were routed',
    })
    const allRouted = (Date.now() - started) / 1000
    const operatorCpu = (await operator.cpuSeconds()) - operatorCpuBefore
    const controlPlaneCpu = (await controlPlaneCpuSeconds(cluster)) - controlPlaneCpuBefore
    await sleep(3000)
    const afterConverge = await operator.writes()
    log(`idle for three resync periods (${3 * RESYNC_S} s)`)
    await sleep((3 * RESYNC_S + 2) * 1000)
    const idleWrites = (await operator.writes()) - afterConverge
    return {
      root,
      sites: SITES,
      createSeconds: Number(created.toFixed(1)),
      allRoutedSeconds: Number(allRouted.toFixed(1)),
      writesPerSite: Number((afterConverge / SITES).toFixed(2)),
      writesBy: await operator.writesBy(),
      operatorCpuSeconds: Number(operatorCpu.toFixed(1)),
      controlPlaneCpuSeconds: Number(controlPlaneCpu.toFixed(1)),
      idleWrites,
      nodeOptions: values['node-options'],
      peakRssMiB: await operator.rssMiB('VmHWM'),
      idleRssMiB: await operator.rssMiB('VmRSS'),
      loadAverage: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
    }
  } finally {
    await sites?.stop()
    await operator?.stop()
    admin.close()
    await cluster.stop()
  }
}

for (const root of [REPO_ROOT, values.baseline]) {
  if (root === undefined) continue
  log(`operator of ${root}`)
  console.log(JSON.stringify({ at: new Date().toISOString(), ...(await runWith(root)) }))
}
