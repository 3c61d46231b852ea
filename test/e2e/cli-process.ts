/**
 * `hostplane <command>` as its own process, from the sources: a long-running one logging to a
 * file (startCli), or one run to its end with its output (runHostplane). runProcess and
 * startProcess do the same for any command line (test/image runs hostplane from the image).
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { REPO_ROOT } from '../cluster/paths.js'

/** Absolute, so a command can run from any working directory. */
const TSX = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href
const MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts')

export interface Outcome {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `hostplane <args>` in `cwd`; a process still running after `timeoutMs` is a failure. */
export function runHostplane(
  args: readonly string[],
  cwd: string = REPO_ROOT,
  env: Record<string, string> = {},
  timeoutMs = 180_000,
): Promise<Outcome> {
  return runProcess([process.execPath, '--import', TSX, MAIN, ...args], {
    cwd,
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    timeoutMs,
  })
}

/** Runs `command` to its end; a process still running after `timeoutMs` is a failure. */
export function runProcess(
  [command = '', ...args]: readonly string[],
  { cwd = REPO_ROOT, env, timeoutMs = 180_000 }: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(`${[command, ...args].join(' ')} still ran after ${timeoutMs} ms:\n${stdout}${stderr}`),
      )
    }, timeoutMs)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export interface CliProcess {
  readonly pid: number
  /** What it wrote to stdout and stderr so far. */
  log(): Promise<string>
  /** SIGTERM (a graceful stop), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

/** How `hostplane` is started: from the sources by default, `[BUILT_CLI]` for the built one. */
export const SOURCE_CLI: readonly string[] = ['--import', 'tsx', 'src/cli/main.ts']
export const BUILT_CLI = join(REPO_ROOT, 'build', 'src', 'cli', 'main.js')

export function startCli(
  args: readonly string[],
  logFile: string,
  env: Readonly<Record<string, string>> = {},
  cli: readonly string[] = SOURCE_CLI,
): CliProcess {
  return startProcess([process.execPath, ...cli, ...args], logFile, { ...process.env, ...env })
}

/** Starts `command` in the repository, its stdout and stderr appended to `logFile`. */
export function startProcess(
  [command = '', ...args]: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv,
): CliProcess {
  const out = openSync(logFile, 'a')
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', out, out], env })
  closeSync(out)
  const kill = () => child.kill('SIGKILL')
  process.once('exit', kill)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    pid: child.pid ?? 0,
    log: () => readFile(logFile, 'utf8').catch(() => ''),
    async stop(graceMs = 10_000) {
      process.off('exit', kill)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(kill, graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}
