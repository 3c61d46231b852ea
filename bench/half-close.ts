/**
 * Clients that half-close their connection once the request is sent (`shutdown(SHUT_WR)`), many
 * at once, against the real `hostplane serve` process and Debian's nginx, for two versions of
 * hostplane side by side in one run: a checkout given with `--before` (main before the fix) and
 * this one. Each server starts with its defaults and gets `--clients` connections at once, each
 * sending one GET and its FIN, then reading until the server closes; a client is answered when
 * a complete 200 response arrives. Writes a Markdown table to stdout; bench/RESULTS.md records runs.
 *
 *   apt-get install nginx                     # this script installs nothing
 *   git clone -q --no-checkout . /tmp/hostplane-before && git -C /tmp/hostplane-before checkout -q <commit>
 *   ln -s "$PWD/node_modules" /tmp/hostplane-before/node_modules
 *   npx tsx bench/half-close.ts --before /tmp/hostplane-before [--clients 200] [--rounds 3]
 *
 * Both checkouts are compiled (`tsc -p tsconfig.build.json`) and `hostplane serve` runs from the
 * build, as in bench/serve-vs-nginx.ts; nginx gets each checkout's rendered configuration and
 * serves that checkout's published trees.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { renderNginxConfig } from '../src/serve/nginx-config.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { run, runOrThrow } from '../test/cluster/process.js'
import { nginxUnavailable, startNginx } from '../test/serving/nginx-for-tests.js'
import { BENCH_HOST, BENCH_KEY, serveBenchSite } from './bench-site.js'

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    clients: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
  },
})
const CLIENTS = Number(values.clients)
const ROUNDS = Number(values.rounds)
/** A page kept in memory by `hostplane serve`, and a file streamed from disk (over its 256 KiB cache limit). */
const FILES = [
  ['1 KiB page', 'page-1k.html', 1024],
  ['1 MiB file', 'file-1m.bin', 1024 * 1024],
] as const

interface Version {
  readonly label: string
  readonly root: string
}

/** One client: connects, sends the request and its FIN at once, reads until the server closes. */
function halfClosingClient(port: number, path: string, bodyBytes: number): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const socket = connect(port, '127.0.0.1')
    let received = 0
    let head = ''
    socket.setTimeout(10_000, () => socket.destroy())
    socket.on('data', (chunk: Buffer) => {
      if (head.length < 16) head += chunk.subarray(0, 16).toString('latin1')
      received += chunk.length
    })
    socket.on('error', () => undefined)
    socket.on('close', () => resolveAnswer(head.startsWith('HTTP/1.1 200') && received > bodyBytes))
    socket.end(`GET ${path} HTTP/1.1\r\nHost: ${BENCH_HOST}\r\n\r\n`)
  })
}

/** How many of `CLIENTS` simultaneous half-closing clients got their response. */
async function answered(port: number, path: string, bodyBytes: number): Promise<number> {
  const results = await Promise.all(
    Array.from({ length: CLIENTS }, () => halfClosingClient(port, path, bodyBytes)),
  )
  return results.filter(Boolean).length
}

async function build(root: string): Promise<void> {
  await runOrThrow('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root })
}

/** The two servers of one version, on one published site. */
async function measure(version: Version, work: string): Promise<string[]> {
  const files = Object.fromEntries(FILES.map(([, name, bytes]) => [name, 'x'.repeat(bytes)]))
  const { serve, sitesRoot } = await serveBenchSite(work, files, { checkout: version.root })
  const rows: string[] = []
  try {
    const { renderNginxConfig: render } = (await import(
      join(version.root, 'src', 'serve', 'nginx-config.ts')
    )) as {
      renderNginxConfig: typeof renderNginxConfig
    }
    const nginx = await startNginx({ root: sitesRoot, workDir: join(work, 'nginx'), render })
    try {
      for (const [label, name, bytes] of FILES) {
        const serveCounts: number[] = []
        const nginxCounts: number[] = []
        for (let i = 0; i < ROUNDS; i++) {
          serveCounts.push(await answered(serve.port, `/${name}`, bytes))
          nginxCounts.push(await answered(nginx.port, `/${BENCH_KEY}/${name}`, bytes))
        }
        rows.push(`| ${version.label} | ${label} | ${serveCounts.join(', ')} | ${nginxCounts.join(', ')} |`)
      }
    } finally {
      await nginx.stop()
    }
  } finally {
    await serve.stop()
  }
  return rows
}

async function main() {
  if (!values.before) throw new Error('--before <checkout> is required (see the comment at the top)')
  const noNginx = await nginxUnavailable()
  if (noNginx) throw new Error(noNginx)
  const before = resolve(values.before)
  const describe = async (root: string) =>
    (await run('git', ['log', '-1', '--format=%h %s'], { cwd: root })).stdout.trim().slice(0, 90)
  const versions: Version[] = [
    { label: `before (${(await describe(before)).split(' ')[0]})`, root: before },
    { label: `after (${(await describe(REPO_ROOT)).split(' ')[0]})`, root: REPO_ROOT },
  ]
  for (const version of versions) await build(version.root)
  const work = await mkdtemp(join(tmpdir(), 'hostplane-bench-half-close-'))
  // nginx started as root runs its worker as `nobody`, who must reach the published files.
  await chmod(work, 0o755)
  const out = (line = '') => console.log(line)
  try {
    out(`date: ${new Date().toISOString()}`)
    out(
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    )
    for (const version of versions) out(`${version.label}: ${await describe(version.root)}`)
    out(
      `load: ${CLIENTS} clients at once, each GET + FIN (shutdown of its sending side), ${ROUNDS} rounds per server; nginx 1 worker, \`hostplane serve\` with its defaults`,
    )
    out(
      `load average at start: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    )
    out()
    out(
      `| version | file | serve: answered of ${CLIENTS}, per round | nginx: answered of ${CLIENTS}, per round |`,
    )
    out('|---|---|---|---|')
    for (const [i, version] of versions.entries())
      for (const row of await measure(version, join(work, String(i)))) out(row)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

await main()
