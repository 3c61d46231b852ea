/**
 * Push-to-deploy benchmark: the built `hostplane gitserver` and `hostplane operator` as processes
 * with their defaults and their own ServiceAccounts, against a test cluster (real kube-apiserver,
 * etcd and controllers; no kubelet, so the script reports each Release's Pods Ready, untimed), a
 * real docker-registry with hostplane's token auth, the OpenSSH client and git.
 *
 *   npx tsx bench/push.ts [--pushes 50] [--size-mb 10] [--customers 20] [--repositories 1000]
 *
 * Measures: (a) sequential pushes to one Webspace of a repository of --size-mb incompressible
 * files, each changing a page so a new layer (the whole tree) is built: push accepted (Release
 * exists) and push → the Deployment runs the Release's digest; (b) one first push of such a
 * repository from each of --customers customers at once: wall time and per push latency, all
 * accepted; (c) a fresh gitserver's RSS before and after --repositories Webspaces appear, and
 * how long until every repository exists on its volume. Prints lines for bench/RESULTS.md.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { WEBSPACE_LABEL } from '../src/api/webspace.js'
import type { Release } from '../src/api/resources.js'
import type { KubeList } from '../src/kube/object.js'
import { resourcePath } from '../src/kube/rest.js'
import { API_VERSION } from '../src/api/kind.js'
import { startRegistry } from '../test/build/registry.js'
import { sleep, waitFor } from '../test/cluster/process.js'
import { BUILT_CLI } from '../test/e2e/cli-process.js'
import { GitServerRun, type KeyPair, keyPair, registryArgs } from '../test/gitserver/harness.js'
import { appImage, type OperatorEnv } from '../test/operator/harness.js'
import { freePort } from '../test/serving/nginx-for-tests.js'
import { withOperatorBench } from './operator-process.js'

const { values } = parseArgs({
  options: {
    pushes: { type: 'string', default: '50' },
    'size-mb': { type: 'string', default: '10' },
    customers: { type: 'string', default: '20' },
    repositories: { type: 'string', default: '1000' },
  },
})
const PUSHES = Number(values.pushes)
const SIZE_MB = Number(values['size-mb'])
const CUSTOMERS = Number(values.customers)
const REPOSITORIES = Number(values.repositories)

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`)
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const summary = (ms: number[]) =>
  `p50 ${seconds(percentile(ms, 50))}, p95 ${seconds(percentile(ms, 95))}, max ${seconds(Math.max(...ms))} (n=${ms.length})`

async function rssMiB(pid: number, which: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number((Number(new RegExp(`${which}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024).toFixed(1))
}

/** A work tree on main: --size-mb of random 1 MiB files and a page; returns its directory. */
async function repository(gs: GitServerRun, name: string): Promise<string> {
  const files: Record<string, Buffer | string> = { 'index.html': `${name} 0\n` }
  for (let i = 0; i < SIZE_MB; i++) files[`assets/blob-${i}.bin`] = randomBytes(1 << 20)
  const dir = join(gs.dir, 'work', name)
  await rm(dir, { recursive: true, force: true })
  await mkdir(join(dir, 'assets'), { recursive: true })
  await gs.gitOk(dir, ['init', '--quiet', '--initial-branch', 'main'])
  for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content)
  await gs.gitOk(dir, ['add', '--all'])
  await gs.gitOk(dir, ['commit', '--quiet', '-m', name])
  return dir
}

/** Pushes main; fails unless accepted. Returns the milliseconds until git exited. */
async function push(gs: GitServerRun, dir: string, key: KeyPair, customer: string): Promise<number> {
  const started = performance.now()
  const result = await gs.git(dir, [key.file], ['push', gs.url(customer), 'main'])
  if (result.code !== 0) throw new Error(`push of ${customer} refused: ${result.stderr}`)
  return performance.now() - started
}

async function release(gs: GitServerRun, namespace: string, dir: string): Promise<Release> {
  const commit = (await gs.gitOk(dir, ['rev-parse', 'HEAD'])).stdout.trim()
  const list = await gs.admin.request<KubeList<Release>>(
    'GET',
    resourcePath({ apiVersion: API_VERSION, plural: 'releases', namespace }),
    { query: { labelSelector: `${WEBSPACE_LABEL}=site` } },
  )
  const found = list.items.find((r) => r.spec.commit === commit)
  if (!found) throw new Error(`no Release of ${commit} after an accepted push`)
  return found
}

/** Milliseconds from `since` until the Deployment runs `image`, polled every 20 ms. */
async function deployed(test: OperatorEnv, namespace: string, image: string, since: number): Promise<number> {
  await waitFor(
    async () => appImage(await test.webspaceDeployment(namespace, 'site')) === image || undefined,
    {
      timeoutMs: 120_000,
      intervalMs: 20,
      describe: () => `${namespace}: the Deployment did not run ${image}`,
    },
  )
  return performance.now() - since
}

async function sequential(test: OperatorEnv, gs: GitServerRun, key: KeyPair, runtime: string) {
  const customer = `seq-${test.tag}`
  const namespace = await gs.operatedCustomer(test, customer, [key.publicKey], { runtime, replicas: 1 })
  const dir = await repository(gs, customer)
  await gs.waitForRepository(customer)
  log(`(a) first push of ${SIZE_MB} MiB (not counted)`)
  await push(gs, dir, key, customer)
  let image = (await release(gs, namespace, dir)).spec.image
  await test.podsReady(namespace, 'site', image, 120_000)
  const accepted: number[] = []
  const toDeployment: number[] = []
  for (let i = 1; i <= PUSHES; i++) {
    // Creation times have second precision: the next Release must be the newer one.
    await sleep(1100)
    await writeFile(join(dir, 'index.html'), `${customer} ${i}\n`)
    await gs.gitOk(dir, ['commit', '--quiet', '--all', '-m', `push ${i}`])
    const started = performance.now()
    accepted.push(await push(gs, dir, key, customer))
    image = (await release(gs, namespace, dir)).spec.image
    toDeployment.push(await deployed(test, namespace, image, started))
    await test.podsReady(namespace, 'site', image, 120_000)
    log(
      `(a) push ${i}: accepted ${seconds(accepted.at(-1) ?? 0)}, Deployment ${seconds(toDeployment.at(-1) ?? 0)}`,
    )
  }
  return { accepted, toDeployment }
}

async function concurrent(test: OperatorEnv, gs: GitServerRun, runtime: string) {
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => `con${i}-${test.tag}`)
  log(`(b) ${CUSTOMERS} customers and repositories`)
  // A key authenticates one customer: each has its own.
  const keys = await Promise.all(customers.map((c) => keyPair(join(gs.dir, 'keys'), c)))
  const namespaces: string[] = []
  for (const [i, c] of customers.entries())
    namespaces.push(await gs.operatedCustomer(test, c, [keys[i]?.publicKey ?? ''], { runtime, replicas: 1 }))
  const dirs = await Promise.all(customers.map((c) => repository(gs, c)))
  for (const c of customers) await gs.waitForRepository(c)
  log(`(b) ${CUSTOMERS} pushes at once`)
  const started = performance.now()
  const latencies = await Promise.all(customers.map((c, i) => push(gs, dirs[i] ?? '', keys[i] as KeyPair, c)))
  const wall = performance.now() - started
  const images = await Promise.all(
    namespaces.map(async (n, i) => (await release(gs, n, dirs[i] ?? '')).spec.image),
  )
  const allDeployed = Math.max(
    ...(await Promise.all(namespaces.map((n, i) => deployed(test, n, images[i] ?? '', started)))),
  )
  return { latencies, wall, allDeployed }
}

async function repositories(test: OperatorEnv) {
  const gs = await GitServerRun.create(test.cluster, test.admin)
  try {
    await gs.start([], [BUILT_CLI])
    await sleep(5000)
    const idle = await rssMiB(gs.pid, 'VmRSS')
    log(`(c) creating ${REPOSITORIES} Customers with a Webspace each`)
    const started = performance.now()
    const names = Array.from({ length: REPOSITORIES }, (_, i) => `r${i}`)
    for (let i = 0; i < names.length; i += 20)
      await Promise.all(names.slice(i, i + 20).map((n) => gs.customer(n)))
    const created = performance.now() - started
    const count = async () =>
      (await readdir(gs.reposDir)).filter((e) => e.endsWith('.git') && !e.startsWith('.')).length
    await waitFor(async () => ((await count()) >= REPOSITORIES ? true : undefined), {
      timeoutMs: 600_000,
      intervalMs: 100,
      describe: () => `${REPOSITORIES} repositories were not created`,
    })
    const allRepositories = performance.now() - started
    await sleep(10_000)
    return {
      idle,
      created,
      allRepositories,
      rss: await rssMiB(gs.pid, 'VmRSS'),
      peak: await rssMiB(gs.pid, 'VmHWM'),
      repositories: await count(),
    }
  } finally {
    await gs.stop()
    await rm(gs.dir, { recursive: true, force: true })
  }
}

async function main() {
  const cpu = cpus()[0]?.model ?? 'unknown'
  console.log(`date: ${new Date().toISOString()}`)
  console.log(
    `machine: ${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  )
  console.log(
    `command: npx tsx bench/push.ts --pushes ${PUSHES} --size-mb ${SIZE_MB} --customers ${CUSTOMERS} --repositories ${REPOSITORIES}`,
  )
  // Each part prints when it ends, so a later part that fails does not take the earlier figures.
  await withOperatorBench(
    { log: () => {}, metricsPort: await freePort(), resyncSeconds: 600 },
    async ({ admin, test }) => {
      const registry = await startRegistry()
      const gs = await GitServerRun.create(test.cluster, admin)
      try {
        const runtime = await gs.layerRuntime(registry, AbortSignal.timeout(120_000))
        await mkdir(join(gs.dir, 'keys'))
        const key = await keyPair(join(gs.dir, 'keys'), 'bench')
        await gs.start(registryArgs(registry), [BUILT_CLI])
        const a = await sequential(test, gs, key, runtime)
        console.log(`(a) ${PUSHES} pushes of a ${SIZE_MB} MiB repository, one page changed each:`)
        console.log(`    push accepted (Release exists): ${summary(a.accepted)}`)
        console.log(`    push → Deployment runs the Release's digest: ${summary(a.toDeployment)}`)
        console.log(`    gitserver peak RSS after (a): ${await rssMiB(gs.pid, 'VmHWM')} MiB`)
        const b = await concurrent(test, gs, runtime)
        console.log(
          `(b) ${CUSTOMERS} first pushes of ${SIZE_MB} MiB from ${CUSTOMERS} customers at once, all accepted:`,
        )
        console.log(
          `    wall ${seconds(b.wall)}; per push ${summary(b.latencies)}; all ${CUSTOMERS} Deployments updated after ${seconds(b.allDeployed)}`,
        )
        const c = await repositories(test)
        console.log(
          `(c) ${c.repositories} repositories (${REPOSITORIES} Customers, each with a Webspace) on a fresh gitserver:`,
        )
        console.log(`    RSS idle ${c.idle} MiB → ${c.rss} MiB with ${c.repositories} (peak ${c.peak} MiB)`)
        console.log(
          `    objects created in ${seconds(c.created)}; every repository on the volume ${seconds(c.allRepositories)} after the first`,
        )
      } finally {
        await gs.stop()
        await registry.stop()
        await rm(gs.dir, { recursive: true, force: true })
      }
    },
  )
  console.log(`end: ${new Date().toISOString()}`)
}

await main()
