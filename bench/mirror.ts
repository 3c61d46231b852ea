/**
 * Mirror benchmark: nginx replicas without a shared volume, as `hostplane mirror` keeps them. The
 * built `hostplane syncer` (a child process, its defaults but the feed on a port of its own, as the
 * install runs it) publishes one site from a real git host into its own sites root; N built
 * `hostplane mirror` processes (their defaults) each keep their own copy, and each replica's nginx
 * (the rendered configuration) serves that copy to readers that check every response (the
 * torn-read load of test/mirror). Revisions are published one after the other through the
 * manual-sync API.
 *
 *   apt-get install nginx; npm run build && npx tsx bench/mirror.ts [--replicas 3] [--revisions 50] [--unchanged 200]
 *
 * The site has three 16 KiB files every revision changes and `--unchanged` 8 KiB files no revision
 * changes (a mirror hard-links those from the served tree).
 *
 * Measures, per replica: responses, torn and missing responses (must be 0); per revision: the
 * propagation time from the syncer's switch (its `publishedAt`) to the last replica serving the
 * same tree (each replica's link polled every 2 ms); disk per replica; each process's peak RSS.
 * Prints Markdown for bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process'
import { chmod, readFile, readlink } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { API_VERSION } from '../src/api/kind.js'
import { siteKey } from '../src/api/site-key.js'
import { KubeRest } from '../src/kube/rest.js'
import type { Revision } from '../src/syncer/publish-store.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { waitFor } from '../test/cluster/process.js'
import { BUILT_CLI } from '../test/e2e/cli-process.js'
import {
  type HostplaneProcess,
  ready,
  requestSync,
  startMirrorProcess,
  startSyncerProcess,
} from '../test/mirror/mirror-processes.js'
import { startLoad } from '../test/mirror/torn-load.js'
import { nginxUnavailable, type RunningNginx, startNginx } from '../test/serving/nginx-for-tests.js'
import { GitFixture } from '../test/syncer/git-fixture.js'
import { sitePath } from '../test/syncer/sites.js'
import { files } from '../test/syncer/torn-content.js'

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '3' },
    revisions: { type: 'string', default: '50' },
    unchanged: { type: 'string', default: '200' },
  },
})
const REPLICAS = Number(values.replicas)
const REVISIONS = Number(values.revisions)
const NAMESPACE = 'bench-mirror'
const KEY = siteKey(NAMESPACE, 'site')
/** Files every revision keeps as they are (8 KiB each), besides the three it changes. */
const UNCHANGED = Object.fromEntries(
  Array.from({ length: Number(values.unchanged) }, (_, i) => [
    `assets/file-${i}.html`,
    `${i}\n`.padEnd(8192, 'x'),
  ]),
)
const revision = (n: number) => ({ ...files(n), ...UNCHANGED })

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
const treeOf = async (root: string) => (await readlink(join(root, KEY)).catch(() => '')).split('/').pop()
const peakRssMiB = async (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
const diskMiB = (dir: string) =>
  Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024

async function main() {
  const unavailable = await nginxUnavailable()
  if (unavailable) throw new Error(unavailable)
  const fx = await GitFixture.start()
  const cluster = await TestCluster.start({ log: () => {} })
  const admin = new KubeRest(cluster.kubeConfig())
  const running: { stop(): Promise<void> }[] = []
  try {
    const loadAtStart = loadavg()
    // nginx's workers run as nobody when the benchmark runs as root: they must reach every replica.
    await chmod(fx.dir, 0o755)
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: NAMESPACE } } })
    await fx.repos.create('site.git', revision(0))
    const cli = [BUILT_CLI]
    const syncer = await startSyncerProcess({
      fx,
      kubeconfig: cluster.kubeconfigPath,
      namespace: NAMESPACE,
      dir: join(fx.dir, 'syncer'),
      cli,
    })
    running.push(syncer.process)
    await admin.request('POST', sitePath(NAMESPACE), {
      body: {
        apiVersion: API_VERSION,
        kind: 'StaticSite',
        metadata: { name: 'site', namespace: NAMESPACE },
        spec: { repo: fx.url('site.git'), syncInterval: '24h' },
      },
    })
    const replicas: (HostplaneProcess & { root: string })[] = []
    for (let i = 1; i <= REPLICAS; i++) {
      const mirror = await startMirrorProcess({
        syncerUrl: syncer.feedUrl,
        dir: join(fx.dir, `replica-${i}`),
        cli,
      })
      running.push(mirror.process)
      replicas.push(mirror)
    }
    for (const mirror of replicas) await ready(mirror.url, mirror.process)
    const nginxes: RunningNginx[] = []
    for (const mirror of replicas)
      nginxes.push(await startNginx({ root: mirror.root, workDir: join(mirror.root, '..', 'nginx') }))
    running.push(...nginxes)
    const loads = nginxes.map((nginx) => startLoad(nginx.port, KEY))

    process.stderr.write(`${REVISIONS} revisions through ${REPLICAS} replicas…\n`)
    const propagation: number[] = []
    for (let n = 1; n <= REVISIONS; n++) {
      const before = await treeOf(syncer.root)
      await fx.repos.commit('site.git', revision(n))
      await requestSync(syncer.url, NAMESPACE, 'site')
      const tree = await waitFor(
        async () => ((await treeOf(syncer.root)) !== before ? treeOf(syncer.root) : undefined),
        {
          timeoutMs: 60_000,
          intervalMs: 2,
          describe: () => `the syncer did not publish revision ${n}`,
        },
      )
      const history = JSON.parse(
        await readFile(join(syncer.root, '.hostplane', 'trees', KEY, 'revisions.json'), 'utf8'),
      ) as Revision[]
      const publishedAt = Date.parse(history.find((r) => r.tree === tree)?.publishedAt ?? '')
      await Promise.all(
        replicas.map((mirror) =>
          waitFor(async () => ((await treeOf(mirror.root)) === tree ? true : undefined), {
            timeoutMs: 60_000,
            intervalMs: 2,
            describe: () => `${mirror.root} did not serve revision ${n}`,
          }),
        ),
      )
      propagation.push(Date.now() - publishedAt)
    }
    for (const load of loads)
      await waitFor(() => (load.newest() === REVISIONS ? true : undefined), {
        timeoutMs: 10_000,
        describe: () =>
          `the readers never saw revision ${REVISIONS}: newest ${load.newest()} after ${load.responses()} responses`,
      })
    const results = await Promise.all(loads.map((load) => load.stop()))
    propagation.sort((a, b) => a - b)

    console.log(`date: ${new Date().toISOString()}`)
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`,
    )
    console.log(
      `load average at start / end (shared machine): ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} / ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}\n`,
    )
    console.log('| replica | responses | torn | missing | disk (sites root) | mirror peak RSS |')
    console.log('| --- | --- | --- | --- | --- | --- |')
    for (const [i, result] of results.entries()) {
      const mirror = replicas[i] as HostplaneProcess & { root: string }
      console.log(
        `| ${i + 1} | ${result.responses} | ${result.torn.length} | ${result.missing.length} | ${diskMiB(mirror.root).toFixed(1)} MiB | ${(await peakRssMiB(mirror.process.pid)).toFixed(0)} MiB |`,
      )
    }
    console.log(
      `\nsyncer sites root: ${diskMiB(syncer.root).toFixed(1)} MiB; syncer peak RSS ${(await peakRssMiB(syncer.process.pid)).toFixed(0)} MiB`,
    )
    console.log(
      `propagation, syncer switch → all ${REPLICAS} replicas serve it, ${REVISIONS} revisions: p50 ${percentile(propagation, 50)} ms, p95 ${percentile(propagation, 95)} ms, max ${propagation.at(-1)} ms`,
    )
    for (const result of results)
      for (const problem of [...result.torn, ...result.missing].slice(0, 5)) console.log(`  ${problem}`)
    if (results.some((r) => r.torn.length + r.missing.length > 0)) process.exitCode = 1
  } finally {
    for (const process of running.reverse()) await process.stop()
    admin.close()
    await cluster.stop()
    await fx.stop()
  }
}

await main()
