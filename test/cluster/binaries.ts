/**
 * Builds the binaries of a pinned Go module under tools/<tool> (the test cluster's kube-apiserver,
 * kube-controller-manager and etcd; Traefik) and caches them under
 * <cache>/<tool>/<version>-<hash of go.mod and go.sum>, so a version bump rebuilds and nothing
 * else does. Concurrent callers wait for one build instead of starting their own.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cacheRoot, REPO_ROOT } from './paths.js'
import { isAlive, run, runOrThrow, sleep } from './process.js'

/** A Go module in tools/<tool> that requires `module`, whose version names the build. */
export interface GoTool<Binary extends string> {
  readonly tool: string
  readonly module: string
  /** Binary name → Go package (`go build -o dir` names each after the package's last element). */
  readonly packages: Readonly<Record<Binary, string>>
  /** What the binaries are, for messages. */
  readonly description: string
}

export interface GoToolBuild<Binary extends string> {
  readonly dir: string
  /** Version of `module` in go.mod, e.g. v1.35.4. */
  readonly version: string
  readonly paths: Readonly<Record<Binary, string>>
}

/** The binaries cannot be built here; outside CI the tests that need them are reported as not run. */
export class ToolchainMissingError extends Error {
  override name = 'ToolchainMissingError'
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

async function pinned(tool: GoTool<string>) {
  const moduleDir = join(REPO_ROOT, 'tools', tool.tool)
  const goMod = await readFile(join(moduleDir, 'go.mod'), 'utf8')
  const goSum = await readFile(join(moduleDir, 'go.sum'), 'utf8')
  const version = new RegExp(`${escapeRegExp(tool.module)} (v[0-9.]+)`).exec(goMod)?.[1]
  if (!version) throw new Error(`tools/${tool.tool}/go.mod does not require ${tool.module}`)
  const key = createHash('sha256').update(goMod).update(goSum).digest('hex').slice(0, 16)
  return { moduleDir, version, dir: join(cacheRoot(), tool.tool, `${version}-${key}`) }
}

function buildIn<Binary extends string>(
  tool: GoTool<Binary>,
  dir: string,
  version: string,
): GoToolBuild<Binary> {
  const names = Object.keys(tool.packages) as Binary[]
  const paths = Object.fromEntries(names.map((name) => [name, join(dir, name)])) as Record<Binary, string>
  return { dir, version, paths }
}

export async function cachedGoTool<Binary extends string>(
  tool: GoTool<Binary>,
): Promise<GoToolBuild<Binary> | undefined> {
  const { version, dir } = await pinned(tool)
  return existsSync(join(dir, '.complete')) ? buildIn(tool, dir, version) : undefined
}

async function goAvailable(): Promise<boolean> {
  try {
    return (await run('go', ['version'], { timeoutMs: 30_000 })).code === 0
  } catch {
    return false
  }
}

/** Holds a directory lock, taking over one whose holder died. */
async function withLock<T>(
  lockDir: string,
  what: string,
  log: (line: string) => void,
  body: () => Promise<T>,
): Promise<T> {
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
      if (!announced) log(`waiting for another build of ${what} (pid ${holder || '?'})`)
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

export async function ensureGoTool<Binary extends string>(
  tool: GoTool<Binary>,
  log: (line: string) => void = console.error,
): Promise<GoToolBuild<Binary>> {
  const cached = await cachedGoTool(tool)
  if (cached) return cached
  const { moduleDir, version, dir } = await pinned(tool)
  if (!(await goAvailable())) {
    throw new ToolchainMissingError(
      `The tests need ${tool.description} ${version}, built from source with Go (tools/${tool.tool}), and no ` +
        `Go toolchain was found on PATH. Install Go >= 1.25 and run \`npm run cluster:build\`.`,
    )
  }
  await mkdir(join(cacheRoot(), tool.tool), { recursive: true })
  return withLock(`${dir}.lock`, tool.description, log, async () => {
    if (existsSync(join(dir, '.complete'))) return buildIn(tool, dir, version)
    const staging = `${dir}.building`
    await rm(staging, { recursive: true, force: true })
    await mkdir(staging, { recursive: true })
    log(`building ${tool.description} ${version} into ${dir} (a cold build takes several minutes)`)
    const started = Date.now()
    const packages = Object.entries<string>(tool.packages)
    await runOrThrow('go', ['build', '-trimpath', '-o', `${staging}/`, ...packages.map(([, p]) => p)], {
      cwd: moduleDir,
      env: { ...process.env, GOWORK: 'off' },
      timeoutMs: 60 * 60_000,
    })
    for (const [name, path] of packages) {
      const built = path.split('/').pop() ?? name
      if (built !== name) await rename(join(staging, built), join(staging, name))
    }
    await writeFile(join(staging, '.complete'), `${version}\n`)
    await rm(dir, { recursive: true, force: true })
    await rename(staging, dir)
    log(`built ${tool.description} in ${Math.round((Date.now() - started) / 1000)} s`)
    return buildIn(tool, dir, version)
  })
}

const KUBE = {
  tool: 'kube',
  module: 'k8s.io/kubernetes',
  packages: {
    etcd: 'go.etcd.io/etcd/server/v3',
    'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
    'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
  },
  description: 'kube-apiserver, kube-controller-manager and etcd',
} as const satisfies GoTool<string>

export interface KubeBinaries {
  readonly dir: string
  readonly etcd: string
  readonly apiserver: string
  readonly controllerManager: string
  /** k8s.io/kubernetes version from tools/kube/go.mod, e.g. v1.35.4. */
  readonly kubernetesVersion: string
}

const kubeBinaries = ({ dir, version, paths }: GoToolBuild<keyof typeof KUBE.packages>): KubeBinaries => ({
  dir,
  etcd: paths.etcd,
  apiserver: paths['kube-apiserver'],
  controllerManager: paths['kube-controller-manager'],
  kubernetesVersion: version,
})

export async function cachedKubeBinaries(): Promise<KubeBinaries | undefined> {
  const cached = await cachedGoTool(KUBE)
  return cached && kubeBinaries(cached)
}

export async function ensureKubeBinaries(log: (line: string) => void = console.error): Promise<KubeBinaries> {
  return kubeBinaries(await ensureGoTool(KUBE, log))
}
