/**
 * Syncer benchmark: the real `hostplane syncer` command (the built one, `npm run build` first;
 * a child process, default concurrency)
 * against a real API server (the test cluster) and a real git host (git http-backend over HTTPS).
 *
 *   npm run build && npx tsx bench/syncer.ts [--sites 200] [--pushes 50] [--baseline <checkout>]
 *
 * Measures: initial sync of N new StaticSites; a restart with all N sites due (sync attempts per
 * site, git checks per site, time until every site was checked once); push → published latency
 * over webhook-triggered pushes; one idle poll cycle over N unchanged sites (fetches and CPU
 * seconds); the syncer's peak RSS. With `--baseline`, the same measures run first against the build
 * of another checkout (e.g. today's main, built there), in the same run, for a side-by-side
 * table. Prints a Markdown table for bench/RESULTS.md.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { KubeRest, resourcePath } from '../src/kube/rest.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { siteKey } from '../src/api/site-key.js'
import { sendGithubPush } from '../test/git/github-push.js'
import { GitFixture } from '../test/syncer/git-fixture.js'
import { BUILT_CLI } from '../test/e2e/cli-process.js'
import { startSyncerProcess, SYNC_TOKEN } from '../test/mirror/mirror-processes.js'

const { values } = parseArgs({
  options: {
    sites: { type: 'string', default: '200' },
    pushes: { type: 'string', default: '50' },
    baseline: { type: 'string' },
  },
})
const SITES = Number(values.sites)
const PUSHES = Number(values.pushes)
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

/** A metric's value from a Prometheus text exposition, summed over the series whose labels include `labels`. */
function metric(text: string, name: string, labels = ''): number {
  let sum = 0
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line)
    if (match?.[1] === name && (match[2] ?? '').includes(labels)) sum += Number(match[3])
  }
  return sum
}

type Row = readonly [measure: string, result: string]

/** Every measure, for the syncer started by `cli`, on its own namespace and directory. */
async function measure(
  variant: string,
  cli: string,
  fx: GitFixture,
  cluster: TestCluster,
  admin: KubeRest,
): Promise<Row[]> {
  const namespace = `bench-${variant}`
  const dir = join(fx.dir, namespace)
  await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: namespace } } })
  const start = (readyTimeoutMs?: number) =>
    startSyncerProcess({
      fx,
      kubeconfig: cluster.kubeconfigPath,
      namespace,
      dir,
      cli: [cli],
      env: { LOG_LEVEL: 'warn', HOSTPLANE_WEBHOOK_SECRET_GITHUB: SECRET },
      readyTimeoutMs,
    })
  const counts = () => Array.from({ length: SITES }, (_, i) => fx.server.countsOf(`site-${i}.git`))
  const sum = (key: 'fetches' | 'refListings') => counts().reduce((total, c) => total + c[key], 0)
  let syncer: Awaited<ReturnType<typeof startSyncerProcess>> | undefined = await start()
  try {
    const { root } = syncer
    const file = (i: number) => join(root, siteKey(namespace, `site-${i}`), 'index.html')
    process.stderr.write(`${variant}: initial sync…\n`)
    const started = Date.now()
    for (let i = 0; i < SITES; i++)
      await admin.request(
        'POST',
        resourcePath({ apiVersion: 'hostplane.dev/v1alpha1', plural: 'staticsites', namespace }),
        {
          body: {
            apiVersion: 'hostplane.dev/v1alpha1',
            kind: 'StaticSite',
            metadata: { name: `site-${i}`, namespace },
            spec: { repo: fx.url(`site-${i}.git`), syncInterval: '24h' },
          },
        },
      )
    const created = Date.now()
    await until('all sites to be published', async () => {
      for (let i = 0; i < SITES; i++)
        if ((await readFile(file(i), 'utf8').catch(() => '')) !== page(i, versions.get(i) ?? 0)) return false
      return true
    })
    const initialMs = Date.now() - started
    const rows: Row[] = [
      [
        `initial sync of ${SITES} new sites (create → all published)`,
        `${(initialMs / 1000).toFixed(1)} s (creating the objects took ${((created - started) / 1000).toFixed(1)} s of it)`,
      ],
    ]

    process.stderr.write(`${variant}: restart with ${SITES} due sites…\n`)
    await syncer.process.stop()
    syncer = undefined
    const listingsBefore = sum('refListings')
    const fetchesBefore = sum('fetches')
    const restarted = Date.now()
    syncer = await start(600_000)
    await until('every site to be checked', () => sum('refListings') - listingsBefore >= SITES)
    const restartMs = Date.now() - restarted
    await sleep(1000)
    const text = await (await fetch(`${syncer.url}/metrics`)).text()
    const handled = metric(text, 'hostplane_queue_handled_total', 'queue="syncer"')
    const grants = metric(text, 'hostplane_syncer_host_wait_seconds_count')
    rows.push([
      `restart with ${SITES} due sites on one host: until every site checked (ready)`,
      `${(restartMs / 1000).toFixed(1)} s`,
    ])
    rows.push([
      'restart: work-queue runs per site (this tree: 2, hand-over and report; baseline: each is a sync attempt with DNS and a slot try)',
      (handled / SITES).toFixed(2),
    ])
    rows.push([
      'restart: slots granted per site (one per sync attempt; the baseline has no such metric)',
      grants === 0 ? '—' : (grants / SITES).toFixed(2),
    ])
    rows.push([
      'restart: ref listings (info/refs requests, by a check or a fetch) and fetches per site',
      `${((sum('refListings') - listingsBefore) / SITES).toFixed(2)} listings, ${((sum('fetches') - fetchesBefore) / SITES).toFixed(2)} fetches`,
    ])
    rows.push(...(await pushesAndIdle(variant, syncer, namespace, fx, sum)))
    rows.push([
      'syncer peak RSS (VmHWM, after the restart)',
      `${(await peakRssMiB(syncer.process.pid)).toFixed(0)} MiB`,
    ])
    return rows
  } finally {
    await syncer?.process.stop()
  }
}

/** The version each site's repository holds now: the pushes of one variant commit new ones. */
const versions = new Map<number, number>()

async function pushesAndIdle(
  variant: string,
  syncer: Awaited<ReturnType<typeof startSyncerProcess>>,
  namespace: string,
  fx: GitFixture,
  sum: (key: 'fetches' | 'refListings') => number,
): Promise<Row[]> {
  if (PUSHES === 0) return []
  const { url: API, root, process: child } = syncer
  process.stderr.write(`${variant}: ${PUSHES} webhook-triggered pushes…\n`)
  const latencies: number[] = []
  for (let n = 0; n < PUSHES; n++) {
    const i = n % SITES
    const version = (versions.get(i) ?? 0) + 1
    versions.set(i, version)
    await fx.repos.commit(`site-${i}.git`, {
      'index.html': page(i, version),
      'style.css': 'body{}',
      'about/index.html': 'about',
    })
    const pushed = performance.now()
    const answer = await sendGithubPush(API, SECRET, fx.url(`site-${i}.git`))
    if (answer.status !== 202) throw new Error(`webhook answered ${answer.status}`)
    const file = join(root, siteKey(namespace, `site-${i}`), 'index.html')
    await until(
      'the push to be published',
      async () => (await readFile(file, 'utf8').catch(() => '')) === page(i, version),
      30_000,
      5,
    )
    latencies.push(performance.now() - pushed)
  }
  latencies.sort((a, b) => a - b)

  process.stderr.write(`${variant}: idle poll cycle…\n`)
  await sleep(2000)
  const fetchesBefore = sum('fetches')
  const listingsBefore = sum('refListings')
  const cpuBefore = await cpuSeconds(child.pid)
  const cycleStarted = Date.now()
  for (let i = 0; i < SITES; i++)
    await fetch(`${API}/sync/${namespace}/site-${i}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SYNC_TOKEN}` },
    })
  await until('every site to be checked', () => sum('refListings') - listingsBefore >= SITES)
  await sleep(1000)
  const cycleMs = Date.now() - cycleStarted
  const cycleCpu = (await cpuSeconds(child.pid)) - cpuBefore
  return [
    [
      `push → published, ${PUSHES} webhook-triggered pushes`,
      `p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, max ${(latencies.at(-1) ?? 0).toFixed(0)} ms`,
    ],
    [
      `idle poll cycle over ${SITES} unchanged sites`,
      `${sum('fetches') - fetchesBefore} fetches, ${sum('refListings') - listingsBefore} ls-remote, ${cycleCpu.toFixed(2)} CPU s (syncer + its git processes), ${(cycleMs / 1000).toFixed(1)} s wall`,
    ],
  ]
}

async function main() {
  const fx = await GitFixture.start()
  const cluster = await TestCluster.start({ log: () => {} })
  const admin = new KubeRest(cluster.kubeConfig())
  try {
    process.stderr.write(`creating ${SITES} repositories…\n`)
    for (let i = 0; i < SITES; i++)
      await fx.repos.create(`site-${i}.git`, {
        'index.html': page(i, 0),
        'style.css': 'body{}',
        'about/index.html': 'about',
      })
    const variants: [string, string][] = []
    if (values.baseline)
      variants.push(['base', join(resolve(values.baseline), 'build', 'src', 'cli', 'main.js')])
    variants.push(['this', BUILT_CLI])
    const results: Row[][] = []
    for (const [variant, cli] of variants) {
      if (!existsSync(cli)) throw new Error(`${cli} is missing: npm run build there first`)
      results.push(await measure(variant, cli, fx, cluster, admin))
    }
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end`
    const header = variants.map(([variant, cli]) => (variant === 'base' ? `base (${cli})` : 'this tree'))
    console.log(`machine: ${machine}\n`)
    console.log(`| measure | ${header.join(' | ')} |\n| --- |${' --- |'.repeat(variants.length)}`)
    for (const [index, [measure]] of (results.at(-1) ?? []).entries())
      console.log(`| ${measure} | ${results.map((rows) => rows[index]?.[1] ?? '—').join(' | ')} |`)
  } finally {
    admin.close()
    await cluster.stop()
    await fx.stop()
  }
}

await main()
