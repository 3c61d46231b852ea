/**
 * WordPress as the wordpress Runtime builds it, on this machine: the pinned packages fetched from
 * the Debian archive once (cached outside the repository, checked against the pinned sums on
 * every use), assembled by the Runtime's own script, wp-config.php the Runtime writes, and
 * Debian's PHP (php-cli, php-mysql) serving it with its built-in server. Missing PHP fails the
 * suite under CI and skips it elsewhere with the reason (.ci/run installs the packages).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ASSEMBLE_SCRIPT } from '../../src/wordpress/assemble.js'
import { packageFile, packageUrl, WORDPRESS_PACKAGES } from '../../src/wordpress/source.js'
import { WP_CONFIG } from '../../src/wordpress/wp-config.js'
import { binaryUnavailable, cacheRoot, isCI } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import { freePort } from '../serving/nginx-for-tests.js'

const run = promisify(execFile)
const PHP = '/usr/bin/php'

/** Reason the WordPress suite cannot run here, or false when it can; thrown under CI. */
export async function phpUnavailable(): Promise<string | false> {
  const missing = await binaryUnavailable('wordpress', PHP, 'php-cli')
  if (missing) return missing
  const { stdout } = await run(PHP, ['-m'])
  if (stdout.split('\n').includes('mysqli')) return false
  const reason = `wordpress tests not run: PHP has no mysqli (apt-get install php-mysql)`
  if (isCI()) throw new Error(reason)
  return reason
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/** The pinned packages in the cache, fetched when absent; a file that does not match is refused. */
async function pinnedPackages(): Promise<string> {
  const dir = join(cacheRoot(), 'wordpress', 'debs')
  await mkdir(dir, { recursive: true })
  for (const pinned of WORDPRESS_PACKAGES) {
    const file = join(dir, packageFile(pinned))
    let bytes = await readFile(file).catch(() => undefined)
    if (!bytes) {
      const response = await fetch(packageUrl(pinned), { signal: AbortSignal.timeout(120_000) })
      if (!response.ok) throw new Error(`${packageUrl(pinned)}: HTTP ${response.status}`)
      bytes = Buffer.from(await response.arrayBuffer())
      if (sha256(bytes) === pinned.sha256) {
        await writeFile(`${file}.part`, bytes)
        await rename(`${file}.part`, file)
      }
    }
    if (sha256(bytes) !== pinned.sha256)
      throw new Error(`${packageFile(pinned)} does not match its pinned SHA-256 ${pinned.sha256}`)
  }
  return dir
}

/** A fresh WordPress tree as the Runtime's build makes it, in a directory of its own. */
export async function assembledWordPress(): Promise<{ readonly dir: string; remove(): Promise<void> }> {
  const debs = await pinnedPackages()
  const work = await mkdtemp(join(tmpdir(), 'hp-wordpress-'))
  const dir = join(work, 'html')
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-s', debs, dir], { stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`the assemble script failed (${code}): ${stderr}`)),
    )
    child.stdin.end(ASSEMBLE_SCRIPT)
  })
  await writeFile(join(dir, 'wp-config.php'), WP_CONFIG)
  return { dir, remove: () => rm(work, { recursive: true, force: true }) }
}

export interface PhpServer {
  readonly url: string
  stop(): Promise<void>
}

/**
 * PHP's built-in server on `docroot` with exactly the environment `envFor` gives for its address
 * (and PATH), as a container gets its Pod's environment and nothing else.
 */
export async function startPhp(
  docroot: string,
  envFor: (url: string) => Readonly<Record<string, string>>,
): Promise<PhpServer> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child: ChildProcess = spawn(PHP, ['-S', `127.0.0.1:${port}`, '-t', docroot], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...envFor(url) },
    stdio: ['ignore', 'ignore', 'ignore'],
  })
  await waitFor(
    async () =>
      (await fetch(`${url}/wp-includes/images/blank.gif`).then(
        (r) => r.ok,
        () => false,
      )) || undefined,
    { timeoutMs: 10_000, intervalMs: 100, describe: () => `php -S on ${url} did not answer` },
  )
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}
