/**
 * The built-in static server against Debian's nginx (rendered cluster configuration) on the same
 * files, in one run, with the same load generator and connection count. Writes a Markdown table
 * to stdout; bench/RESULTS.md records runs.
 *
 *   apt-get install wrk nginx        # this script installs nothing
 *   npx tsx bench/static-vs-nginx.ts [--duration 10] [--connections 50] [--sites 1000]
 *
 * Both servers get one CPU's worth of workers (node is one thread; nginx runs one worker) so the
 * comparison is per core; wrk runs one thread. The built-in server runs from the compiled build
 * (`tsc -p tsconfig.build.json`, done here) in its own process, so its RSS is the server's alone.
 */
import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { servedSite } from '../src/serve/served-site.js'
import { sendRequest } from '../test/serving/http-request.js'
import { startNginx } from '../test/serving/nginx-for-tests.js'
import { publishTree } from '../test/serving/published-tree.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow } from '../test/cluster/process.js'
import { median, rssMiB, wrk, type WrkResult } from './load.js'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    sites: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
  },
})
const ROUNDS = Number(values.rounds)
const DURATION = Number(values.duration)
const CONNECTIONS = Number(values.connections)
const MANY_SITES = Number(values.sites)
const HOST = 'bench.test'
const KEY = 'bench--site'
const SIZES = [
  ['1 KiB', 'page-1k.html', 1024],
  ['10 KiB', 'page-10k.html', 10 * 1024],
  ['100 KiB', 'page-100k.html', 100 * 1024],
] as const

const load = { connections: CONNECTIONS, seconds: DURATION, host: HOST }
const warmUp = { ...load, seconds: 2 }

/** The built-in server in its own process, from the build; it prints its port and startup time. */
async function startBuiltIn(root: string, sitesFile: string) {
  const script = `
    import { readFile } from 'node:fs/promises'
    import { pino } from 'pino'
    import { StaticServer } from '${join(REPO_ROOT, 'build/src/serve/static-server.js')}'
    const started = performance.now()
    const sites = JSON.parse(await readFile(${JSON.stringify(sitesFile)}, 'utf8'))
    const server = new StaticServer({ sites, root: ${JSON.stringify(root)}, log: pino({ level: 'warn' }) })
    const { port } = await server.listen(0)
    console.log(JSON.stringify({ port, startupMs: performance.now() - started }))
    process.once('SIGTERM', () => server.close(1000).then(() => process.exit(0)))
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))
    child.once('exit', (code) => reject(new Error(`built-in server exited with ${code}`)))
  })
  const { port, startupMs } = JSON.parse(line) as { port: number; startupMs: number }
  const pid = child.pid ?? 0
  // Never leave a server behind, whatever ends this script.
  process.once('exit', () => child.kill('SIGKILL'))
  return {
    port,
    startupMs,
    pid,
    stop: async () => {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

async function writeSites(work: string, count: number): Promise<string> {
  const sites = [servedSite(KEY, { domains: [HOST] })]
  for (let i = 1; i < count; i++)
    sites.push(servedSite(`tenant-${i}--site`, { domains: [`site-${i}.bench.test`] }))
  const file = join(work, `sites-${count}.json`)
  await writeFile(file, JSON.stringify(sites))
  return file
}

async function main() {
  await runOrThrow('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT })
  const work = await mkdtemp(join(tmpdir(), 'hostplane-bench-'))
  // nginx started as root runs its worker as `nobody`, who must reach the files.
  await chmod(work, 0o755)
  const root = join(work, 'sites')
  const files: Record<string, string> = {}
  for (const [, name, bytes] of SIZES) files[name] = `<!doctype html>${'x'.repeat(bytes - 15)}`
  await publishTree(root, KEY, 'c1', files)
  const lines: string[] = []
  const out = (line = '') => {
    lines.push(line)
    console.log(line)
  }
  try {
    out(`date: ${new Date().toISOString()}`)
    out(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    )
    out(
      `load: wrk -t1 -c${CONNECTIONS} -d${DURATION}s --latency, keep-alive, 2 s warm-up, median of ${ROUNDS} alternating runs; nginx 1 worker, node 1 process`,
    )
    out(
      `load average at start (the machine is shared): ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    )
    out()
    out('| file | built-in req/s | built-in p99 | nginx req/s | nginx p99 | built-in / nginx |')
    out('|---|---|---|---|---|---|')
    const oneSite = await writeSites(work, 1)
    const builtIn = await startBuiltIn(root, oneSite)
    const nginx = await startNginx({ root, workDir: join(work, 'nginx'), workerProcesses: 1 }).catch(
      async (error: unknown) => {
        await builtIn.stop()
        throw error
      },
    )
    try {
      const nginxPid = Number((await readFile(join(work, 'nginx', 'run', 'nginx.pid'), 'utf8')).trim())
      for (const [label, name] of SIZES) {
        const oursUrl = `http://127.0.0.1:${builtIn.port}/${name}`
        const theirsUrl = `http://127.0.0.1:${nginx.port}/${KEY}/${name}`
        await wrk(oursUrl, warmUp)
        await wrk(theirsUrl, warmUp)
        const oursRuns: WrkResult[] = []
        const theirsRuns: WrkResult[] = []
        for (let round = 0; round < ROUNDS; round++) {
          oursRuns.push(await wrk(oursUrl, load))
          theirsRuns.push(await wrk(theirsUrl, load))
        }
        const ours = median(oursRuns)
        const theirs = median(theirsRuns)
        const ratio = Math.round((ours.requestsPerSecond / theirs.requestsPerSecond) * 100)
        out(
          `| ${label} | ${ours.requestsPerSecond.toFixed(0)} | ${ours.p99} | ${theirs.requestsPerSecond.toFixed(0)} | ${theirs.p99} | ${ratio}% |`,
        )
      }
      out()
      out(
        `RSS after the runs: built-in ${await rssMiB(builtIn.pid)} MiB, nginx (master + worker) ${await rssMiB(nginxPid)} MiB`,
      )
    } finally {
      await builtIn.stop()
      await nginx.stop()
    }

    for (let i = 1; i < MANY_SITES; i++)
      await publishTree(root, `tenant-${i}--site`, 'c1', { 'index.html': `<h1>site ${i}</h1>` })
    const manySites = await writeSites(work, MANY_SITES)
    const many = await startBuiltIn(root, manySites)
    try {
      const idle = await rssMiB(many.pid)
      // First request to every site: each reads its publish link and index.html once.
      const firstStarted = performance.now()
      for (let i = 1; i < MANY_SITES; i++) {
        const response = await sendRequest({
          port: many.port,
          method: 'GET',
          path: '/',
          headers: { Host: `site-${i}.bench.test` },
        })
        if (response.status !== 200) throw new Error(`site ${i} answered ${response.status}`)
      }
      const firstMs = performance.now() - firstStarted
      const warmRss = await rssMiB(many.pid)
      const url = `http://127.0.0.1:${many.port}/page-1k.html`
      await wrk(url, warmUp)
      const ours = await wrk(url, load)
      out(
        `${MANY_SITES} sites configured: built-in startup ${many.startupMs.toFixed(0)} ms (read config, build routes, listen); RSS ${idle} MiB idle, ${warmRss} MiB after one request to every site (${firstMs.toFixed(0)} ms for all ${MANY_SITES - 1} first requests, one at a time), ${await rssMiB(many.pid)} MiB after load; 1 KiB on one of them ${ours.requestsPerSecond.toFixed(0)} req/s, p99 ${ours.p99}`,
      )
    } finally {
      await many.stop()
    }
    out(
      `load average at end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    )
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

await main()
