/**
 * The cluster serving path under load: Traefik (kubernetescrd provider) + Debian's nginx with
 * 10, 100 and 1,000 StaticSites created through the API and routed by `hostplane operator`, on a
 * test cluster this script starts (test/e2e/pages-stack.ts). For each size: requests/s and p99
 * of a 1 KiB page through Traefik and from nginx directly in the same run, Traefik's RSS, and the
 * time from creating a new StaticSite to its first 200 through Traefik (p50/p95 of `--probes`
 * sites created one at a time). The sites' 1 KiB trees are laid out as the syncer would publish
 * them before the sites are created, instead of syncing 1,000 repositories.
 *
 *   apt-get install wrk nginx        # this script installs nothing
 *   npx tsx bench/traefik.ts [--sizes 10,100,1000] [--duration 10] [--connections 50] [--rounds 3] [--probes 10]
 */
import { cpus, loadavg, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { siteKey } from '../src/api/site-key.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { waitFor } from '../test/cluster/process.js'
import { PagesStack } from '../test/e2e/pages-stack.js'
import { publishTree } from '../test/serving/published-tree.js'
import { median, rssMiB, wrk, type WrkResult } from './load.js'

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    probes: { type: 'string', default: '10' },
    namespaces: { type: 'string', default: '10' },
  },
})
const SIZES = values.sizes.split(',').map(Number)
const ROUNDS = Number(values.rounds)
const PROBES = Number(values.probes)
const NAMESPACES = Number(values.namespaces)
const load = { connections: Number(values.connections), seconds: Number(values.duration) }
const PAGE = `<!doctype html>${'x'.repeat(1024 - 15)}`
const domainOf = (i: number) => `site-${i}.bench.test`

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN

async function main(): Promise<void> {
  const log = (line: string) => console.error(`[bench] ${line}`)
  const cluster = await TestCluster.start({ log })
  const stack = await PagesStack.start(cluster, { name: 'bench' }).catch(async (error: unknown) => {
    await cluster.stop()
    throw error
  })
  const { test } = stack
  const out = (line = '') => console.log(line)
  try {
    const namespaces: string[] = []
    for (let n = 0; n < NAMESPACES; n++) namespaces.push(await test.createNamespace(`bench-${n}-${test.tag}`))
    const where = (i: number) => ({ namespace: namespaces[i % NAMESPACES] ?? '', name: `site-${i}` })
    /** Publishes the 1 KiB tree, then creates the StaticSite (plain HTTP: TLS would measure crypto). */
    const createSite = async (i: number) => {
      const { namespace, name } = where(i)
      await publishTree(stack.sitesRoot, siteKey(namespace, name), 'c1', { 'index.html': PAGE })
      await test.createSite(namespace, name, { domains: [domainOf(i)], tls: { mode: 'none' } })
    }
    const through = (i: number) => stack.request({ path: '/', headers: { Host: domainOf(i) } })
    const untilServed = (i: number, timeoutMs = 30 * 60_000) =>
      waitFor(async () => ((await through(i).catch(() => undefined))?.status === 200 ? true : undefined), {
        timeoutMs,
        intervalMs: 20,
        describe: () => `${domainOf(i)} was not served through Traefik within ${timeoutMs} ms`,
      })

    out(`date: ${new Date().toISOString()}`)
    out(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Traefik ${stack.traefik.version}`,
    )
    out(
      `load: wrk -t1 -c${load.connections} -d${load.seconds}s --latency, keep-alive, 2 s warm-up, median of ${ROUNDS} alternating runs; nginx 1 worker; Traefik default settings (GOMAXPROCS = 2)`,
    )
    out(
      `load average at start (the machine is shared): ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    )
    out()
    out(
      '| sites | Traefik req/s | Traefik p99 | nginx req/s | nginx p99 | Traefik / nginx | Traefik RSS | new site → first 200 p50 / p95 |',
    )
    out('|---|---|---|---|---|---|---|---|')

    let created = 0
    let probe = 1_000_000
    for (const size of SIZES) {
      const started = Date.now()
      let next = created
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          while (next < size) await createSite(next++)
        }),
      )
      created = size
      // Routes come in batches; the last site served means Traefik has them all, checked for each.
      for (let i = 0; i < size; i++) await untilServed(i)
      log(
        `${size} sites served through Traefik ${((Date.now() - started) / 1000).toFixed(1)} s after the first create`,
      )

      // The measured site is one of the first: its route does not depend on the size.
      const host = domainOf(0)
      const { namespace, name } = where(0)
      const viaTraefik = `http://127.0.0.1:${stack.traefik.web}/`
      const direct = `http://${stack.nginx.address}:${stack.nginx.port}/${siteKey(namespace, name)}/`
      await wrk(viaTraefik, { ...load, seconds: 2, host })
      await wrk(direct, { ...load, seconds: 2, host })
      const traefikRuns: WrkResult[] = []
      const nginxRuns: WrkResult[] = []
      for (let round = 0; round < ROUNDS; round++) {
        traefikRuns.push(await wrk(viaTraefik, { ...load, host }))
        nginxRuns.push(await wrk(direct, { ...load, host }))
      }
      const traefik = median(traefikRuns)
      const nginx = median(nginxRuns)
      const rss = await rssMiB(stack.traefik.pid)

      const latencies: number[] = []
      for (let p = 0; p < PROBES; p++) {
        const i = probe++
        const t0 = performance.now()
        await createSite(i)
        await untilServed(i, 120_000)
        latencies.push(performance.now() - t0)
        const { namespace: ns, name: site } = where(i)
        await test.deleteSite(ns, site)
      }
      latencies.sort((a, b) => a - b)
      const ratio = Math.round((traefik.requestsPerSecond / nginx.requestsPerSecond) * 100)
      out(
        `| ${size} | ${traefik.requestsPerSecond.toFixed(0)} | ${traefik.p99} | ${nginx.requestsPerSecond.toFixed(0)} | ${nginx.p99} | ${ratio}% | ${rss} MiB | ${(percentile(latencies, 50) / 1000).toFixed(2)} s / ${(percentile(latencies, 95) / 1000).toFixed(2)} s |`,
      )
    }
    out()
    out(
      `load average at end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    )
  } finally {
    await stack.stop()
    await cluster.stop()
  }
}

await main()
