/**
 * schemathesis (PyPI), which fuzzes the panel's OpenAPI document in test/panel/openapi-fuzz.test.ts:
 * installed with the pinned requirements beside this file into a virtual environment in the cache,
 * keyed by the requirements' hash, so clean clones reuse it and a changed pin installs afresh.
 *
 * `tsx test/panel/schemathesis.ts` installs it (.ci/run does); the test only looks it up, and
 * missing, it fails the suite under CI and skips it elsewhere with the reason.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { access, constants, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { cacheRoot, isCI } from '../cluster/paths.js'

const run = promisify(execFile)
const REQUIREMENTS = join(import.meta.dirname, 'schemathesis-requirements.txt')

async function venvDir(): Promise<string> {
  const hash = createHash('sha256')
    .update(await readFile(REQUIREMENTS))
    .digest('hex')
    .slice(0, 16)
  return join(cacheRoot(), `schemathesis-${hash}`)
}

const stOf = (dir: string) => join(dir, 'bin', 'st')
/** Written last: a directory without it is an install that did not finish. */
const COMPLETE = '.installed'

const exists = (path: string) =>
  access(path, constants.F_OK).then(
    () => true,
    () => false,
  )

/** The `st` command, or undefined when it is not installed. */
export async function cachedSchemathesis(): Promise<string | undefined> {
  const dir = await venvDir()
  return (await exists(join(dir, COMPLETE))) ? stOf(dir) : undefined
}

/** Reason the fuzzing suite cannot run here, or false when it can; thrown under CI. */
export async function schemathesisUnavailable(): Promise<string | false> {
  if (await cachedSchemathesis()) return false
  const reason = 'OpenAPI fuzzing not run: schemathesis is not installed (npx tsx test/panel/schemathesis.ts)'
  if (isCI()) throw new Error(reason)
  return reason
}

/** The `st` command, installed on first use. */
export async function ensureSchemathesis(log: (line: string) => void = console.error): Promise<string> {
  const cached = await cachedSchemathesis()
  if (cached) return cached
  const dir = await venvDir()
  log(`installing schemathesis into ${dir}`)
  // A venv's scripts name its absolute path, so it is made where it lives; the marker makes it count.
  await rm(dir, { recursive: true, force: true })
  try {
    await run('python3', ['-m', 'venv', dir], { timeout: 120_000 })
    await run(
      join(dir, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', REQUIREMENTS],
      { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    )
    await writeFile(join(dir, COMPLETE), '')
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw new Error(
      `cannot install schemathesis (python3 -m venv, pip from PyPI): ${(error as Error).message}`,
    )
  }
  return stOf(dir)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(await ensureSchemathesis())
  } catch (error) {
    console.error((error as Error).message)
    process.exitCode = 1
  }
}
