/**
 * The real `hostplane serve` process against Debian's nginx (the configuration hostplane renders
 * for the cluster) on the same published files, in one run, with the same load generator and
 * connection count. `hostplane serve` runs from the compiled build with its defaults on a sites
 * directory whose one site comes from a local repository, as `npm start` runs it; nginx serves
 * that process's own published trees. Writes a Markdown table to stdout; bench/RESULTS.md records
 * runs.
 *
 *   apt-get install wrk nginx        # this script installs nothing
 *   npx tsx bench/serve-vs-nginx.ts [--duration 10] [--connections 50] [--rounds 3] [--cpu-prof <dir>]
 *
 * Both servers get one CPU's worth of workers (node is one thread; nginx runs one worker), so the
 * comparison is per core; wrk runs one thread. `--cpu-prof <dir>` runs the serve process under
 * `node --cpu-prof` and leaves its profile in <dir> when the process exits.
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow } from '../test/cluster/process.js'
import { nginxUnavailable, startNginx } from '../test/serving/nginx-for-tests.js'
import { BENCH_HOST, BENCH_KEY, serveBenchSite } from './bench-site.js'
import { cpuSeconds, median, requireWrk, rssMiB, wrk, type WrkResult } from './load.js'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    'cpu-prof': { type: 'string' },
  },
})
const ROUNDS = Number(values.rounds)
const DURATION = Number(values.duration)
const CONNECTIONS = Number(values.connections)
const SIZES = [
  ['1 KiB', 'page-1k.html', 1024],
  ['100 KiB', 'page-100k.html', 100 * 1024],
] as const

const load = { connections: CONNECTIONS, seconds: DURATION, host: BENCH_HOST }
const warmUp = { ...load, seconds: 2 }

const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')

interface Round extends WrkResult {
  /** CPU time the server (all its processes) used per request. */
  readonly cpuMicros: number
}

/** One load run against a server, with the CPU time its processes used meanwhile. */
async function round(url: string, pid: number): Promise<Round> {
  const before = await cpuSeconds(pid)
  const result = await wrk(url, load)
  const used = (await cpuSeconds(pid)) - before
  return { ...result, cpuMicros: (used / (result.requestsPerSecond * DURATION)) * 1e6 }
}

const spread = (values: readonly number[]) =>
  `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`

/** Median req/s with the spread of the rounds, the p99 of the median round, and the median CPU per request. */
function summary(rounds: readonly Round[]) {
  const middle = median(rounds)
  const cpu = [...rounds.map((r) => r.cpuMicros)].sort((a, b) => a - b)
  return {
    requestsPerSecond: middle.requestsPerSecond,
    cells: [
      `${middle.requestsPerSecond.toFixed(0)} (${spread(rounds.map((r) => r.requestsPerSecond))})`,
      middle.p99,
      `${(cpu[Math.floor(cpu.length / 2)] ?? 0).toFixed(1)} µs (${spread(cpu)})`,
    ],
  }
}

async function main() {
  await requireWrk()
  const noNginx = await nginxUnavailable()
  if (noNginx) throw new Error(noNginx)
  await runOrThrow('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT })
  const work = await mkdtemp(join(tmpdir(), 'hostplane-bench-'))
  // nginx started as root runs its worker as `nobody`, who must reach the published files.
  await chmod(work, 0o755)
  const profileDir = values['cpu-prof'] && resolve(values['cpu-prof'])
  const nodeOptions = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []

  const out = (line = '') => console.log(line)
  const files = Object.fromEntries(
    SIZES.map(([, name, bytes]) => [name, `<!doctype html>${'x'.repeat(bytes - 15)}`]),
  )
  const { serve, sitesRoot } = await serveBenchSite(work, files, { nodeOptions })
  try {
    const nginx = await startNginx({ root: sitesRoot, workDir: join(work, 'nginx') })
    try {
      const nginxPid = Number((await readFile(join(work, 'nginx', 'run', 'nginx.pid'), 'utf8')).trim())
      out(`date: ${new Date().toISOString()}`)
      out(
        `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      )
      out(
        `load: wrk -t1 -c${CONNECTIONS} -d${DURATION}s --latency, keep-alive, 2 s warm-up, ${ROUNDS} alternating rounds (median, min–max; p99 of the median round); nginx 1 worker, \`hostplane serve\` 1 process with its defaults`,
      )
      out(`load average at start (the machine is shared): ${loadAverage()}`)
      out()
      out(
        '| file | serve req/s | serve p99 | serve CPU/request | nginx req/s | nginx p99 | nginx CPU/request | serve / nginx req/s |',
      )
      out('|---|---|---|---|---|---|---|---|')
      for (const [label, name] of SIZES) {
        const oursUrl = `http://127.0.0.1:${serve.port}/${name}`
        const theirsUrl = `http://127.0.0.1:${nginx.port}/${BENCH_KEY}/${name}`
        await wrk(oursUrl, warmUp)
        await wrk(theirsUrl, warmUp)
        const oursRounds: Round[] = []
        const theirsRounds: Round[] = []
        for (let i = 0; i < ROUNDS; i++) {
          oursRounds.push(await round(oursUrl, serve.pid))
          theirsRounds.push(await round(theirsUrl, nginxPid))
        }
        const ours = summary(oursRounds)
        const theirs = summary(theirsRounds)
        const ratio = Math.round((ours.requestsPerSecond / theirs.requestsPerSecond) * 100)
        out(`| ${label} | ${[...ours.cells, ...theirs.cells].join(' | ')} | ${ratio}% |`)
      }
      out()
      out(
        `RSS after the runs: hostplane serve ${await rssMiB(serve.pid)} MiB, nginx (master + worker) ${await rssMiB(nginxPid)} MiB`,
      )
      out(`load average at end: ${loadAverage()}`)
    } finally {
      await nginx.stop()
    }
  } finally {
    await serve.stop()
    await rm(work, { recursive: true, force: true })
  }
  if (profileDir) console.log(`CPU profile of hostplane serve written to ${profileDir}`)
}

await main()
