/**
 * Operator benchmark on a cluster this script starts: N StaticSites created at once → seconds
 * until all are Routed=True, API writes per site, writes during three idle resync periods, and
 * the operator's peak RSS. The operator runs as `node build/src/cli/main.js operator` (compiled,
 * as in production) with its own ServiceAccount token, and is measured from /proc and /metrics.
 *
 *   npx tsx bench/operator.ts [--sites 1000] [--namespaces 10] [--resync-seconds 10] [--node-options=--max-semi-space-size=1]
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { KubeRest } from '../src/kube/rest.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow, sleep, waitFor } from '../test/cluster/process.js'
import { OperatorEnv } from '../test/operator/harness.js'

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
const METRICS = `http://127.0.0.1:${values['metrics-port']}`

async function writes(): Promise<number> {
  const text = await (await fetch(`${METRICS}/metrics`)).text()
  return text
    .split('\n')
    .filter((line) => line.startsWith('hostplane_api_writes_total{') && !line.includes('resource="leases"'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
}

/** Peak (VmHWM) or current (VmRSS) resident memory of a process, in MiB. */
const rssMiB = async (pid: number, which: 'VmHWM' | 'VmRSS') => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kB = Number(new RegExp(`${which}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0)
  return Number((kB / 1024).toFixed(1))
}

async function main(): Promise<void> {
  const log = (line: string) => console.error(`[bench] ${line}`)
  await runOrThrow('npm', ['run', 'build'], { cwd: REPO_ROOT })
  const cluster = await TestCluster.start({ log })
  const admin = new KubeRest(cluster.kubeConfig())
  const test = new OperatorEnv(cluster, admin, 'bench')
  const namespaces: string[] = []
  let operator: ReturnType<typeof spawn> | undefined
  try {
    await test.setUp()
    for (let n = 0; n < NAMESPACES; n++) namespaces.push(await test.createNamespace(`bench-${n}-${test.tag}`))
    const args = ['build/src/cli/main.js', 'operator', '--kubeconfig', test.kubeconfigPath]
    args.push('--system-namespace', test.systemNamespace, '--pages-domain', 'pages.test')
    args.push('--listen', `127.0.0.1:${values['metrics-port']}`, '--no-leader-elect')
    args.push('--site-selector', test.selector, '--resync-seconds', String(RESYNC_S))
    const nodeFlags = values['node-options'].split(' ').filter(Boolean)
    operator = spawn(process.execPath, [...nodeFlags, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const pid = operator.pid ?? 0
    await waitFor(
      async () =>
        (await fetch(`${METRICS}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined,
      { timeoutMs: 30_000, describe: () => 'the operator did not become ready' },
    )

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
    const afterConverge = await writes()
    log(`idle for three resync periods (${3 * RESYNC_S} s)`)
    await sleep((3 * RESYNC_S + 2) * 1000)
    const idleWrites = (await writes()) - afterConverge
    const result = {
      sites: SITES,
      createSeconds: Number(created.toFixed(1)),
      allRoutedSeconds: Number(allRouted.toFixed(1)),
      writesPerSite: Number((afterConverge / SITES).toFixed(2)),
      idleWrites,
      nodeOptions: values['node-options'],
      peakRssMiB: await rssMiB(pid, 'VmHWM'),
      idleRssMiB: await rssMiB(pid, 'VmRSS'),
    }
    console.log(JSON.stringify(result))
  } finally {
    if (operator && operator.exitCode === null) {
      const exited = new Promise((resolve) => operator?.once('exit', resolve))
      operator.kill('SIGTERM')
      await Promise.race([exited, sleep(35_000)])
    }
    admin.close()
    await cluster.stop()
  }
}

await main()
