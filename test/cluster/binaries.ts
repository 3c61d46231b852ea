/**
 * Builds kube-apiserver, kube-controller-manager and etcd from the Go module in tools/kube and
 * caches them under <cache>/kube/<hash of go.mod and go.sum>, so a version bump rebuilds and
 * nothing else does. Concurrent callers wait for one build instead of starting their own.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cacheRoot, REPO_ROOT } from './paths.js'
import { isAlive, run, runOrThrow, sleep } from './process.js'

export const KUBE_TOOLS_DIR = join(REPO_ROOT, 'tools', 'kube')

export interface KubeBinaries {
  readonly dir: string
  readonly etcd: string
  readonly apiserver: string
  readonly controllerManager: string
  /** k8s.io/kubernetes version from tools/kube/go.mod, e.g. v1.35.4. */
  readonly kubernetesVersion: string
}

/** The cluster cannot be built here; outside CI the cluster tests are reported as not run. */
export class ToolchainMissingError extends Error {
  override name = 'ToolchainMissingError'
}

const PACKAGES = {
  etcd: 'go.etcd.io/etcd/server/v3',
  apiserver: 'k8s.io/kubernetes/cmd/kube-apiserver',
  controllerManager: 'k8s.io/kubernetes/cmd/kube-controller-manager',
} as const
/** `go build -o dir` names each binary after the last element of its package path. */
const BUILT_NAMES = {
  etcd: 'server',
  apiserver: 'kube-apiserver',
  controllerManager: 'kube-controller-manager',
}

async function pinned() {
  const goMod = await readFile(join(KUBE_TOOLS_DIR, 'go.mod'), 'utf8')
  const goSum = await readFile(join(KUBE_TOOLS_DIR, 'go.sum'), 'utf8')
  const version = /k8s\.io\/kubernetes (v[0-9.]+)/.exec(goMod)?.[1]
  if (!version) throw new Error(`tools/kube/go.mod does not require k8s.io/kubernetes`)
  const key = createHash('sha256').update(goMod).update(goSum).digest('hex').slice(0, 16)
  return { version, key }
}

const binariesIn = (dir: string, kubernetesVersion: string): KubeBinaries => ({
  dir,
  etcd: join(dir, 'etcd'),
  apiserver: join(dir, 'kube-apiserver'),
  controllerManager: join(dir, 'kube-controller-manager'),
  kubernetesVersion,
})

export async function cachedKubeBinaries(): Promise<KubeBinaries | undefined> {
  const { version, key } = await pinned()
  const dir = join(cacheRoot(), 'kube', `${version}-${key}`)
  return existsSync(join(dir, '.complete')) ? binariesIn(dir, version) : undefined
}

async function goAvailable(): Promise<boolean> {
  try {
    return (await run('go', ['version'], { timeoutMs: 30_000 })).code === 0
  } catch {
    return false
  }
}

/** Holds a directory lock, taking over one whose holder died. */
async function withLock<T>(lockDir: string, log: (line: string) => void, body: () => Promise<T>): Promise<T> {
  let announced = false
  for (;;) {
    try {
      await mkdir(lockDir)
      await writeFile(join(lockDir, 'pid'), String(process.pid))
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => '0'))
      if (holder && !isAlive(holder)) {
        await rm(lockDir, { recursive: true, force: true })
        continue
      }
      if (!announced) log(`waiting for another build of the Kubernetes binaries (pid ${holder || '?'})`)
      announced = true
      await sleep(2000)
    }
  }
  try {
    return await body()
  } finally {
    await rm(lockDir, { recursive: true, force: true })
  }
}

export async function ensureKubeBinaries(log: (line: string) => void = console.error): Promise<KubeBinaries> {
  const cached = await cachedKubeBinaries()
  if (cached) return cached
  const { version, key } = await pinned()
  if (!(await goAvailable())) {
    throw new ToolchainMissingError(
      `The test cluster needs kube-apiserver ${version}, kube-controller-manager and etcd, built from source with Go ` +
        `(tools/kube), and no Go toolchain was found on PATH. Install Go >= 1.25 and run \`npm run cluster:build\`.`,
    )
  }
  const dir = join(cacheRoot(), 'kube', `${version}-${key}`)
  await mkdir(join(cacheRoot(), 'kube'), { recursive: true })
  return withLock(`${dir}.lock`, log, async () => {
    if (existsSync(join(dir, '.complete'))) return binariesIn(dir, version)
    const staging = `${dir}.building`
    await rm(staging, { recursive: true, force: true })
    await mkdir(staging, { recursive: true })
    log(
      `building kube-apiserver, kube-controller-manager ${version} and etcd into ${dir} (a cold build takes several minutes)`,
    )
    const started = Date.now()
    await runOrThrow('go', ['build', '-trimpath', '-o', `${staging}/`, ...Object.values(PACKAGES)], {
      cwd: KUBE_TOOLS_DIR,
      timeoutMs: 60 * 60_000,
    })
    for (const [name, built] of Object.entries(BUILT_NAMES)) {
      const target = binariesIn(staging, version)[name as keyof typeof BUILT_NAMES]
      if (built !== target.split('/').pop()) await rename(join(staging, built), target)
    }
    await writeFile(join(staging, '.complete'), `${version}\n`)
    await rm(dir, { recursive: true, force: true })
    await rename(staging, dir)
    log(`built the Kubernetes binaries in ${Math.round((Date.now() - started) / 1000)} s`)
    return binariesIn(dir, version)
  })
}
