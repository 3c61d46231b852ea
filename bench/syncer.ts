/**
 * Syncer benchmark: the real `hostplane syncer` command (the built one, `npm run build` first;
 * a child process, default concurrency)
 * against a real API server (the test cluster) and a real git host (git http-backend over HTTPS).
 *
 *   npm run build && npx tsx bench/syncer.ts [--sites 200] [--pushes 50]
 *
 * Measures: initial sync of N new StaticSites; push → published latency over webhook-triggered
 * pushes; one idle poll cycle over N unchanged sites (fetches and CPU seconds); the syncer's
 * peak RSS. Prints a Markdown table for bench/RESULTS.md.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { KubeRest, resourcePath } from '../src/kube/rest.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { siteKey } from '../src/api/site-key.js'
import { sendGithubPush } from '../test/git/github-push.js'
import { GitFixture } from '../test/syncer/git-fixture.js'
import { BUILT_CLI } from '../test/e2e/cli-process.js'
import { startSyncerProcess, SYNC_TOKEN } from '../test/mirror/mirror-processes.js'

const { values } = parseArgs({
  options: { sites: { type: 'string', default: '200' }, pushes: { type: 'string', default: '50' } },
})
const SITES = Number(values.sites)
const PUSHES = Number(values.pushes)
const NAMESPACE = 'bench'
const SECRET = 'bench-webhook-secret'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  ms = 600_000,
  every = 20,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(every)
  }
}

/** CPU seconds of a process and its reaped children (git), from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0)
  return ticks / 100
}

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}

const page = (site: number, version: number) => `<h1>site ${site} version ${version}</h1>\n`

async function main() {
  const fx = await GitFixture.start()
  const cluster = await TestCluster.start({ log: () => {} })
  const admin = new KubeRest(cluster.kubeConfig())
  let syncer: Awaited<ReturnType<typeof startSyncerProcess>> | undefined
  try {
    process.stderr.write(`creating ${SITES} repositories…\n`)
    for (let i = 0; i < SITES; i++)
      await fx.repos.create(`site-${i}.git`, {
        'index.html': page(i, 0),
        'style.css': 'body{}',
        'about/index.html': 'about',
      })
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: NAMESPACE } } })

    syncer = await startSyncerProcess({
      fx,
      kubeconfig: cluster.kubeconfigPath,
      namespace: NAMESPACE,
      dir: join(fx.dir, 'bench'),
      cli: [BUILT_CLI],
      env: { LOG_LEVEL: 'warn', HOSTPLANE_WEBHOOK_SECRET_GITHUB: SECRET },
    })
    const { pid } = syncer.process
    const { url: API, root } = syncer

    process.stderr.write('initial sync…\n')
    const started = Date.now()
    for (let i = 0; i < SITES; i++)
      await admin.request(
        'POST',
        resourcePath({ apiVersion: 'hostplane.dev/v1alpha1', plural: 'staticsites', namespace: NAMESPACE }),
        {
          body: {
            apiVersion: 'hostplane.dev/v1alpha1',
            kind: 'StaticSite',
            metadata: { name: `site-${i}`, namespace: NAMESPACE },
            spec: { repo: fx.url(`site-${i}.git`), syncInterval: '24h' },
          },
        },
      )
    const created = Date.now()
    await until('all sites to be published', () => {
      for (let i = 0; i < SITES; i++)
        if (!existsSync(join(root, siteKey(NAMESPACE, `site-${i}`), 'index.html'))) return false
      return true
    })
    const initialMs = Date.now() - started

    process.stderr.write(`${PUSHES} webhook-triggered pushes…\n`)
    const latencies: number[] = []
    for (let n = 0; n < PUSHES; n++) {
      const i = n % SITES
      await fx.repos.commit(`site-${i}.git`, {
        'index.html': page(i, n + 1),
        'style.css': 'body{}',
        'about/index.html': 'about',
      })
      const pushed = performance.now()
      const answer = await sendGithubPush(API, SECRET, fx.url(`site-${i}.git`))
      if (answer.status !== 202) throw new Error(`webhook answered ${answer.status}`)
      const file = join(root, siteKey(NAMESPACE, `site-${i}`), 'index.html')
      await until(
        'the push to be published',
        async () => (await readFile(file, 'utf8').catch(() => '')) === page(i, n + 1),
        30_000,
        5,
      )
      latencies.push(performance.now() - pushed)
    }
    latencies.sort((a, b) => a - b)

    process.stderr.write('idle poll cycle…\n')
    await sleep(2000)
    const counts = () => Array.from({ length: SITES }, (_, i) => fx.server.countsOf(`site-${i}.git`))
    const sum = (key: 'fetches' | 'refListings') => counts().reduce((total, c) => total + c[key], 0)
    const fetchesBefore = sum('fetches')
    const listingsBefore = sum('refListings')
    const cpuBefore = await cpuSeconds(pid)
    const cycleStarted = Date.now()
    for (let i = 0; i < SITES; i++)
      await fetch(`${API}/sync/${NAMESPACE}/site-${i}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SYNC_TOKEN}` },
      })
    await until('every site to be checked', () => sum('refListings') - listingsBefore >= SITES)
    await sleep(1000)
    const cycleMs = Date.now() - cycleStarted
    const cycleCpu = (await cpuSeconds(pid)) - cpuBefore
    const idleFetches = sum('fetches') - fetchesBefore
    const rss = await peakRssMiB(pid)

    const rows = [
      ['machine', `${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`],
      [
        `initial sync of ${SITES} new sites (create → all published)`,
        `${(initialMs / 1000).toFixed(1)} s (creating the objects took ${((created - started) / 1000).toFixed(1)} s of it)`,
      ],
      [
        `push → published, ${PUSHES} webhook-triggered pushes`,
        `p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, max ${(latencies.at(-1) ?? 0).toFixed(0)} ms`,
      ],
      [
        `idle poll cycle over ${SITES} unchanged sites`,
        `${idleFetches} fetches, ${sum('refListings') - listingsBefore} ls-remote, ${cycleCpu.toFixed(2)} CPU s (syncer + its git processes), ${(cycleMs / 1000).toFixed(1)} s wall`,
      ],
      ['syncer peak RSS (VmHWM)', `${rss.toFixed(0)} MiB`],
    ]
    console.log('| measure | result |\n| --- | --- |')
    for (const [measure, result] of rows) console.log(`| ${measure} | ${result} |`)
  } finally {
    await syncer?.process.stop()
    admin.close()
    await cluster.stop()
    await fx.stop()
  }
}

await main()
