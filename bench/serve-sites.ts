/**
 * `hostplane serve` as a whole process with many sites configured: one StaticSite YAML file per
 * site, each site published by the syncer engine from a local git repository (`--local-repos`;
 * every site reads the same repository, but each gets its own checkout and publish). Measures the
 * time from starting the process until every site serves its page (polled), RSS then, CPU while
 * idle (directory rescans), and how long a newly added site file takes to serve. Runs the compiled
 * build (`tsc -p tsconfig.build.json`, done here). Writes its figures to stdout; bench/RESULTS.md
 * records runs.
 *
 *   npx tsx bench/serve-sites.ts [--sites 1000] [--workers 4] [--idle 20]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { initLocalRepo } from '../src/standalone/local-repo-init.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow, sleep } from '../test/cluster/process.js'
import { sendRequest } from '../test/serving/http-request.js'
import { freePort } from '../test/serving/nginx-for-tests.js'
import { startServe } from '../test/standalone/serve-process.js'
import { cpuSeconds, rssMiB } from './load.js'

const { values } = parseArgs({
  options: {
    sites: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '4' },
    idle: { type: 'string', default: '20' },
  },
})
const SITES = Number(values.sites)
const IDLE_SECONDS = Number(values.idle)
const PAGE = '<h1>bench page</h1>'

const siteYaml = (name: string) => `apiVersion: hostplane.dev/v1alpha1
kind: StaticSite
metadata:
  name: ${name}
  namespace: bench
spec:
  repo: https://repos.localhost/site
  domains: [${name}.bench.test]
`

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')

/** Whether the site answers its page (false also while nothing listens yet). */
async function serves(port: number, name: string): Promise<boolean> {
  try {
    const response = await sendRequest({
      port,
      method: 'GET',
      path: '/',
      headers: { Host: `${name}.bench.test` },
    })
    return response.status === 200 && response.body === PAGE
  } catch {
    return false
  }
}

async function main() {
  await runOrThrow('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT })
  const work = await mkdtemp(join(tmpdir(), 'hostplane-bench-serve-'))
  const sitesDir = join(work, 'sites')
  const repos = join(work, 'repos')
  const content = join(work, 'content')
  await mkdir(sitesDir)
  await mkdir(content)
  await writeFile(join(content, 'index.html'), PAGE)
  await initLocalRepo(content, join(repos, 'site'))
  const names = Array.from({ length: SITES }, (_, i) => `site-${i}`)
  for (const name of names) await writeFile(join(sitesDir, `${name}.yaml`), siteYaml(name))

  console.log(`date: ${new Date().toISOString()}`)
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`)
  console.log(`load average at start (the machine is shared): ${load()}`)

  const port = await freePort()
  const started = performance.now()
  const starting = startServe(
    sitesDir,
    join(work, 'data'),
    ['--local-repos', repos, '--listen', `127.0.0.1:${port}`, '--workers', values.workers],
    [join(REPO_ROOT, 'build', 'src', 'cli', 'main.js')],
  )
  starting.catch(() => undefined)
  let listeningMs: number | undefined
  const pending = new Set(names)
  while (pending.size > 0) {
    for (const name of pending) {
      if (!(await serves(port, name))) break
      listeningMs ??= performance.now() - started
      pending.delete(name)
    }
    if (performance.now() - started > 900_000) throw new Error(`${pending.size} sites never served`)
    if (pending.size > 0) await sleep(100)
  }
  const allMs = performance.now() - started
  const serve = await starting
  try {
    const rss = await rssMiB(serve.pid)
    const cpuBefore = await cpuSeconds(serve.pid)
    await sleep(IDLE_SECONDS * 1000)
    const idleCpu = ((await cpuSeconds(serve.pid)) - cpuBefore) / IDLE_SECONDS
    const rssIdle = await rssMiB(serve.pid)

    const added = performance.now()
    await writeFile(join(sitesDir, 'site-new.yaml'), siteYaml('site-new'))
    while (!(await serves(port, 'site-new'))) await sleep(10)
    const addedMs = performance.now() - added

    console.log(
      `${SITES} sites (${SITES} YAML files, one local repository, --workers ${values.workers}): first site served after ${(listeningMs ?? 0).toFixed(0)} ms, every site served after ${(allMs / 1000).toFixed(1)} s (from process start, polled); RSS ${rss} MiB then, ${rssIdle} MiB after ${IDLE_SECONDS} s idle; idle CPU ${(idleCpu * 100).toFixed(1)} % of a core; a new site file served after ${addedMs.toFixed(0)} ms`,
    )
    console.log(`load average at end: ${load()}`)
  } finally {
    await serve.stop()
    await rm(work, { recursive: true, force: true })
  }
}

await main()
