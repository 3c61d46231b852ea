/** `hostplane <command>` as its own process, from the sources, logging to a file. */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { REPO_ROOT } from '../cluster/paths.js'

export interface CliProcess {
  readonly pid: number
  /** What it wrote to stdout and stderr so far. */
  log(): Promise<string>
  /** SIGTERM (a graceful stop), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

export function startCli(
  args: readonly string[],
  logFile: string,
  env: Readonly<Record<string, string>> = {},
): CliProcess {
  const out = openSync(logFile, 'a')
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  })
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
