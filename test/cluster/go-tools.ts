/**
 * Builds binaries from a pinned Go module in tools/<name> (its go.mod lists them as tools) and
 * caches them under <cache>/<name>/<version>-<hash of go.mod and go.sum>, so a version bump
 * rebuilds and nothing else does. Concurrent callers wait for one build instead of starting their
 * own. Files the tests need from the module itself (certificates, sample configuration) are copied
 * next to the binaries, so nothing is read from the Go module cache at test time.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { cacheRoot, isCI, REPO_ROOT } from './paths.js'
import { isAlive, run, runOrThrow, sleep } from './process.js'

export interface GoTools<Binary extends string> {
  /** tools/<name> holds the module; <cache>/<name> the builds. */
  readonly name: string
  /** The module whose version names the build, e.g. k8s.io/kubernetes. */
  readonly pinnedModule: string
  /** Binary file name → Go package. */
  readonly binaries: Readonly<Record<Binary, string>>
  /** Paths inside `pinnedModule` copied into the build directory under their base name. */
  readonly moduleFiles?: readonly string[]
  /** Minutes a cold build may take before it is killed. */
  readonly buildTimeoutMinutes: number
}

export interface BuiltGoTools<Binary extends string> {
  readonly dir: string
  /** Version of `pinnedModule`, e.g. v1.35.4. */
  readonly version: string
  /** Absolute path of each binary. */
  readonly paths: Readonly<Record<Binary, string>>
}

/** The tools cannot be built here; outside CI the tests that need them are reported as not run. */
export class ToolchainMissingError extends Error {
  override name = 'ToolchainMissingError'
}

const moduleDir = (tools: GoTools<string>) => join(REPO_ROOT, 'tools', tools.name)

async function pinned(tools: GoTools<string>) {
  const goMod = await readFile(join(moduleDir(tools), 'go.mod'), 'utf8')
  const goSum = await readFile(join(moduleDir(tools), 'go.sum'), 'utf8')
  const quoted = tools.pinnedModule.replaceAll('.', '\\.')
  const version = new RegExp(`${quoted} (v[0-9][^\\s]*)`).exec(goMod)?.[1]
  if (!version) throw new Error(`tools/${tools.name}/go.mod does not require ${tools.pinnedModule}`)
  const key = createHash('sha256').update(goMod).update(goSum).digest('hex').slice(0, 16)
  return { version, dir: join(cacheRoot(), tools.name, `${version}-${key}`) }
}

function builtIn<Binary extends string>(
  tools: GoTools<Binary>,
  dir: string,
  version: string,
): BuiltGoTools<Binary> {
  const paths = {} as Record<Binary, string>
  for (const binary of Object.keys(tools.binaries) as Binary[]) paths[binary] = join(dir, binary)
  return { dir, version, paths }
}

export async function cachedGoTools<Binary extends string>(
  tools: GoTools<Binary>,
): Promise<BuiltGoTools<Binary> | undefined> {
  const { version, dir } = await pinned(tools)
  return existsSync(join(dir, '.complete')) ? builtIn(tools, dir, version) : undefined
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
      if (!announced) log(`waiting for another build of ${lockDir} (pid ${holder || '?'})`)
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

/** The cached build, or a new one; a no-op when the pinned versions are already built. */
export async function ensureGoTools<Binary extends string>(
  tools: GoTools<Binary>,
  log: (line: string) => void = console.error,
): Promise<BuiltGoTools<Binary>> {
  const cached = await cachedGoTools(tools)
  if (cached) return cached
  const { version, dir } = await pinned(tools)
  const names = Object.keys(tools.binaries).join(', ')
  if (!(await goAvailable())) {
    throw new ToolchainMissingError(
      `${names} ${version} must be built from source with Go (tools/${tools.name}), and no Go toolchain was ` +
        `found on PATH. Install Go >= 1.25; .ci/run then builds it.`,
    )
  }
  await mkdir(join(cacheRoot(), tools.name), { recursive: true })
  return withLock(`${dir}.lock`, log, async () => {
    if (existsSync(join(dir, '.complete'))) return builtIn(tools, dir, version)
    const staging = `${dir}.building`
    await rm(staging, { recursive: true, force: true })
    await mkdir(staging, { recursive: true })
    log(`building ${names} ${version} into ${dir}`)
    const started = Date.now()
    const cwd = moduleDir(tools)
    for (const [binary, goPackage] of Object.entries<string>(tools.binaries))
      await runOrThrow('go', ['build', '-trimpath', '-o', join(staging, binary), goPackage], {
        cwd,
        timeoutMs: tools.buildTimeoutMinutes * 60_000,
      })
    if (tools.moduleFiles?.length) {
      const source = await runOrThrow('go', ['list', '-m', '-f', '{{.Dir}}', tools.pinnedModule], {
        cwd,
        timeoutMs: 60_000,
      })
      for (const file of tools.moduleFiles)
        await copyFile(join(source.stdout.trim(), file), join(staging, basename(file)))
    }
    await writeFile(join(staging, '.complete'), `${version}\n`)
    await rm(dir, { recursive: true, force: true })
    await rename(staging, dir)
    log(`built ${names} in ${Math.round((Date.now() - started) / 1000)} s`)
    return builtIn(tools, dir, version)
  })
}

/**
 * Reason the `suite` tests cannot run here, or false when they can (building `tools` if needed).
 * Under CI a missing toolchain is thrown: .ci/run builds the tools, so their absence is a failure.
 */
export async function goToolsUnavailable<Binary extends string>(
  tools: GoTools<Binary>,
  suite: string,
  log?: (line: string) => void,
): Promise<string | false> {
  if (await cachedGoTools(tools)) return false
  try {
    await ensureGoTools(tools, log)
    return false
  } catch (error) {
    if (error instanceof ToolchainMissingError && !isCI()) return `${suite} tests not run: ${error.message}`
    throw error
  }
}
