/**
 * Python tools the tests run (schemathesis, moto), each installed with the pinned requirements
 * beside its definition into a virtual environment in the cache, keyed by the requirements' hash,
 * so clean clones reuse it and a changed pin installs afresh. .ci/run installs them; a test only
 * looks one up, and missing, it fails the suite under CI and skips it elsewhere with the reason.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { access, constants, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { cacheRoot, isCI } from './paths.js'

const run = promisify(execFile)

export interface PythonTool {
  /** Names the virtual environment: <cache>/<name>-<hash of the requirements>. */
  readonly name: string
  /** A pip requirements file pinning the tool and every dependency (installed with --no-deps). */
  readonly requirements: string
  /** The command the tests run, from the environment's bin/. */
  readonly command: string
  /** How a user installs it by hand, for the reason a suite is not run. */
  readonly installHint: string
}

async function venvDir(tool: PythonTool): Promise<string> {
  const hash = createHash('sha256')
    .update(await readFile(tool.requirements))
    .digest('hex')
    .slice(0, 16)
  return join(cacheRoot(), `${tool.name}-${hash}`)
}

/** Written last: a directory without it is an install that did not finish. */
const COMPLETE = '.installed'

const exists = (path: string) =>
  access(path, constants.F_OK).then(
    () => true,
    () => false,
  )

/** The tool's command, or undefined when it is not installed. */
export async function cachedPythonTool(tool: PythonTool): Promise<string | undefined> {
  const dir = await venvDir(tool)
  return (await exists(join(dir, COMPLETE))) ? join(dir, 'bin', tool.command) : undefined
}

/** Reason a suite needing `tool` cannot run here, or false when it can; thrown under CI. */
export async function pythonToolUnavailable(tool: PythonTool, what: string): Promise<string | false> {
  if (await cachedPythonTool(tool)) return false
  const reason = `${what} not run: ${tool.name} is not installed (${tool.installHint})`
  if (isCI()) throw new Error(reason)
  return reason
}

/** The tool's command, installed on first use. */
export async function ensurePythonTool(
  tool: PythonTool,
  log: (line: string) => void = console.error,
): Promise<string> {
  const cached = await cachedPythonTool(tool)
  if (cached) return cached
  const dir = await venvDir(tool)
  log(`installing ${tool.name} into ${dir}`)
  // A venv's scripts name its absolute path, so it is made where it lives; the marker makes it count.
  await rm(dir, { recursive: true, force: true })
  try {
    await run('python3', ['-m', 'venv', dir], { timeout: 120_000 })
    await run(
      join(dir, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', tool.requirements],
      { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    )
    await writeFile(join(dir, COMPLETE), '')
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw new Error(
      `cannot install ${tool.name} (python3 -m venv, pip from PyPI): ${(error as Error).message}`,
    )
  }
  return join(dir, 'bin', tool.command)
}

/** For a tool's own script: `tsx <script>` installs it and prints its command. */
export async function installFromCommandLine(tool: PythonTool): Promise<void> {
  try {
    console.log(await ensurePythonTool(tool))
  } catch (error) {
    console.error((error as Error).message)
    process.exitCode = 1
  }
}
