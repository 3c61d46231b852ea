/**
 * The real `hostplane serve` command in its own process (`node --import tsx src/cli/main.ts
 * serve`), on free ports, with its output kept. Resolves once it prints where it listens, which it
 * does after the first sync of every site (or 10 s).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT } from '../cluster/paths.js'
import { ProcessOutput } from './process-output.js'

export interface ServeProcess {
  /** The public listener. */
  readonly port: number
  /** /healthz, /metrics, webhooks, sync. */
  readonly controlPort: number
  readonly output: ProcessOutput
  readonly pid: number
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>
}

const BANNER = /running on http:\/\/127\.0\.0\.1:(\d+) \(health and metrics on http:\/\/127\.0\.0\.1:(\d+)\)/

/** Runs the sources through tsx; benchmarks pass the compiled `build/src/cli/main.js`. */
const FROM_SOURCES = ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts')]

export async function startServe(
  sitesDir: string,
  dataDir: string,
  flags: readonly string[],
  entry: readonly string[] = FROM_SOURCES,
): Promise<ServeProcess> {
  const args = [...entry, 'serve', sitesDir]
  args.push('--data-dir', dataDir, '--listen', '127.0.0.1:0', '--control-listen', '127.0.0.1:0', ...flags)
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = new ProcessOutput(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  try {
    const [, port, controlPort] = await output.waitFor(BANNER, 120_000)
    return { port: Number(port), controlPort: Number(controlPort), output, pid: child.pid ?? 0, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
