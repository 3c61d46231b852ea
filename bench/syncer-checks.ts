/**
 * What checking unchanged sites costs: the real `hostplane syncer` process (built, default flags
 * and concurrency) polling N unchanged StaticSites every 60 s, against the test cluster's real
 * kube-apiserver and a real git host (git http-backend over HTTPS, in this process). Two builds
 * run one after the other in the same run, on the same sites, the same sites root and the same
 * host: this tree's build and a baseline (`--baseline <checkout>`, e.g. today's main, built).
 *
 *   npm run build && flock /tmp/hp-bench.lock npx tsx bench/syncer-checks.ts --baseline <dir> [--sites 1000] [--window 120]
 *
 * This tree runs first and publishes every site (main at c345885 starves the last few first syncs
 * behind its re-queued polls for tens of minutes on a busy machine, issue 20 point 2), then the
 * baseline starts on the published sites; each build runs one full poll interval to settle and
 * is measured over `--window` seconds: CPU of the syncer and its children (git) from /proc,
 * checks and fetches counted by the git host. Prints a Markdown table.
 */
import { existsSync } from 'node:fs'
import { cp, readFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { siteKey } from '../src/api/site-key.js'
import { KubeRest, resourcePath } from '../src/kube/rest.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { BUILT_CLI } from '../test/e2e/cli-process.js'
import { startSyncerProcess } from '../test/mirror/mirror-processes.js'
import { GitFixture } from '../test/syncer/git-fixture.js'

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    sites: { type: 'string', default: '1000' },
    window: { type: 'string', default: '120' },
  },
})
if (!values.baseline) throw new Error('--baseline <checkout with a build> is required')
const SITES = Number(values.sites)
const WINDOW_S = Number(values.window)
const INTERVAL_S = 60
const NAMESPACE = 'bench'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** CPU seconds of a process and its reaped children (git and its helpers), from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0) / 100
}

interface Measured {
  readonly build: string
  readonly checks: number
  readonly fetches: number
  readonly cpu: number
  readonly wallS: number
}

async function main() {
  const fx = await GitFixture.start()
  const cluster = await TestCluster.start({ log: () => {} })
  const admin = new KubeRest(cluster.kubeConfig())
  try {
    process.stderr.write(`creating ${SITES} repositories…\n`)
    await fx.repos.create('site-0.git', { 'index.html': '<h1>site</h1>\n', 'style.css': 'body{}' })
    for (let i = 1; i < SITES; i++)
      await cp(fx.repos.gitDir('site-0.git'), fx.repos.gitDir(`site-${i}.git`), { recursive: true })
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: NAMESPACE } } })
    const repos = Array.from({ length: SITES }, (_, i) => `site-${i}.git`)
    const sum = (key: 'fetches' | 'refListings') =>
      repos.reduce((total, repo) => total + fx.server.countsOf(repo)[key], 0)
    const dir = join(fx.dir, 'syncer')
    const root = join(dir, 'sites')
    const published = () =>
      Array.from({ length: SITES }, (_, i) => siteKey(NAMESPACE, `site-${i}`)).every((key) =>
        existsSync(join(root, key, 'index.html')),
      )

    const results: Measured[] = []
    for (const [build, cli] of [
      ['this tree', BUILT_CLI],
      [`baseline (${values.baseline})`, join(values.baseline as string, 'build', 'src', 'cli', 'main.js')],
    ] as const) {
      process.stderr.write(`${build}: starting the syncer…\n`)
      const syncer = await startSyncerProcess({
        fx,
        kubeconfig: cluster.kubeconfigPath,
        namespace: NAMESPACE,
        dir,
        cli: [cli],
        env: { LOG_LEVEL: 'warn' },
        // main checks 1,000 sites at start at about 50 ms of CPU each before it answers ready.
        readyTimeoutMs: 900_000,
      })
      try {
        if (results.length === 0)
          for (let i = 0; i < SITES; i++)
            await admin.request(
              'POST',
              resourcePath({
                apiVersion: 'hostplane.dev/v1alpha1',
                plural: 'staticsites',
                namespace: NAMESPACE,
              }),
              {
                body: {
                  apiVersion: 'hostplane.dev/v1alpha1',
                  kind: 'StaticSite',
                  metadata: { name: `site-${i}`, namespace: NAMESPACE },
                  spec: { repo: fx.url(`site-${i}.git`), syncInterval: `${INTERVAL_S}s` },
                },
              },
            )
        while (!published()) await sleep(500)
        process.stderr.write(`${build}: all published; settling for one poll interval…\n`)
        await sleep(INTERVAL_S * 1000 + 5000)
        const [checks0, fetches0, cpu0, t0] = [
          sum('refListings'),
          sum('fetches'),
          await cpuSeconds(syncer.process.pid),
          Date.now(),
        ]
        await sleep(WINDOW_S * 1000)
        results.push({
          build,
          checks: sum('refListings') - checks0,
          fetches: sum('fetches') - fetches0,
          cpu: (await cpuSeconds(syncer.process.pid)) - cpu0,
          wallS: (Date.now() - t0) / 1000,
        })
        process.stderr.write(`${build}: ${JSON.stringify(results.at(-1))}\n`)
      } finally {
        await syncer.process.stop()
      }
    }

    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
    console.log(
      `${SITES} unchanged sites polled every ${INTERVAL_S} s, measured over ${WINDOW_S} s after one interval of settling\n`,
    )
    // Cores from the CPU per check, as a loaded machine may not give the syncer all it needs.
    const cores = (perCheckMs: number, sites: number, intervalS: number) =>
      ((perCheckMs / 1000) * sites) / intervalS
    console.log(
      `| build | checks | fetches | CPU s (syncer + git) | CPU per check | cores used | cores for 1,000 sites every ${INTERVAL_S} s | cores for 10,000 sites every 5 min |`,
    )
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
    for (const { build, checks, fetches, cpu, wallS } of results) {
      const perCheckMs = (cpu * 1000) / checks
      console.log(
        `| ${build} | ${checks} | ${fetches} | ${cpu.toFixed(2)} | ${perCheckMs.toFixed(2)} ms | ${(cpu / wallS).toFixed(3)} | ${cores(perCheckMs, 1000, INTERVAL_S).toFixed(3)} | ${cores(perCheckMs, 10_000, 300).toFixed(3)} |`,
      )
    }
  } finally {
    admin.close()
    await cluster.stop()
    await fx.stop()
  }
}

await main()
