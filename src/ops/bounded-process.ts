/**
 * Runs a child process the way hostplane's long jobs need: in a process group of its own, killed
 * as a group at its deadline (so the helpers it started go too), its stdout bounded, the end of
 * its stderr kept for the error message. The syncer's git and the backups' restic run through it.
 */
import { spawn } from 'node:child_process'

export interface BoundedRun {
  readonly program: string
  readonly args: readonly string[]
  readonly env: NodeJS.ProcessEnv
  readonly cwd?: string
  readonly input?: Buffer | string
  readonly timeoutMs: number
  /** Stdout beyond this kills the process and ends the run with failure 'output'. */
  readonly maxOutputBytes: number
}

export interface BoundedResult {
  readonly code: number | null
  readonly stdout: Buffer
  /** The last 8 KiB. */
  readonly stderr: string
  readonly failure?: 'timeout' | 'output'
}

const STDERR_KEEP = 8 * 1024

/** A run that failed, as one line: the tool and its subcommand, and the last lines it said. */
export class BoundedProcessError extends Error {
  constructor(
    tool: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    super(
      timedOut
        ? `${tool} ${command} did not finish in time`
        : `${tool} ${command} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    )
  }
}

/** Resolves when the process ended, however it ended; rejects only when it could not start. */
export function runBounded(run: BoundedRun): Promise<BoundedResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(run.program, run.args, {
      cwd: run.cwd,
      env: run.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    })
    const stdout: Buffer[] = []
    let stdoutBytes = 0
    let stderr = ''
    let failure: BoundedResult['failure']
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }
    const timer = setTimeout(() => {
      failure = 'timeout'
      killGroup()
    }, run.timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length
      if (stdoutBytes > run.maxOutputBytes) {
        failure ??= 'output'
        killGroup()
        return
      }
      stdout.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP)
    })
    child.stdin.on('error', () => {})
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(stdout), stderr, ...(failure ? { failure } : {}) })
    })
    child.stdin.end(run.input)
  })
}
