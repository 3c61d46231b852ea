/**
 * Runs a child process the way hostplane's long jobs need: in a process group of its own, killed
 * as a group at its deadline (so the helpers it started go too), its stdout bounded, the end of
 * its stderr kept for the error message. The syncer's git and the backups' restic run through it;
 * `streamBounded` hands stdout on as it comes instead (a download of a backup, however large).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import type { Readable } from 'node:stream'

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

/** `program` started in a process group of its own, and how to kill that group. */
function spawnGroup(run: Pick<BoundedRun, 'program' | 'args' | 'env' | 'cwd'>): {
  readonly child: ChildProcessWithoutNullStreams
  readonly killGroup: () => void
} {
  const child = spawn(run.program, run.args, {
    cwd: run.cwd,
    env: run.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  })
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    } catch {
      child.kill('SIGKILL')
    }
  }
  return { child, killGroup }
}

/** Keeps the last STDERR_KEEP characters `child` writes to stderr; `read` gives them. */
function stderrTail(child: ChildProcessWithoutNullStreams): () => string {
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP)
  })
  return () => stderr
}

/** Resolves when the process ended, however it ended; rejects only when it could not start. */
export function runBounded(run: BoundedRun): Promise<BoundedResult> {
  return new Promise((resolve, reject) => {
    const { child, killGroup } = spawnGroup(run)
    const stdout: Buffer[] = []
    let stdoutBytes = 0
    const stderr = stderrTail(child)
    let failure: BoundedResult['failure']
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
    child.stdin.on('error', () => {})
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(stdout), stderr: stderr(), ...(failure ? { failure } : {}) })
    })
    child.stdin.end(run.input)
  })
}

export interface StreamedRun extends Pick<BoundedRun, 'program' | 'args' | 'env' | 'cwd' | 'timeoutMs'> {
  /** Aborting it kills the process group (a client that went away). */
  readonly signal?: AbortSignal
}

export interface StreamedEnd {
  readonly code: number | null
  /** The last 8 KiB. */
  readonly stderr: string
  readonly failure?: 'timeout' | 'aborted' | 'start'
}

export interface StreamedProcess {
  /** What the process writes, as it writes it: its reader's pace is the process's. */
  readonly stdout: Readable
  /** Resolves when the process ended, however it ended (a program that could not start: failure 'start'). */
  readonly ended: Promise<StreamedEnd>
}

/** Starts `run` with its stdout as a stream; its deadline or `signal` kills its process group. */
export function streamBounded(run: StreamedRun): StreamedProcess {
  const { child, killGroup } = spawnGroup(run)
  const stderr = stderrTail(child)
  child.stdin.end()
  let failure: StreamedEnd['failure']
  const stop = (why: 'timeout' | 'aborted') => {
    failure ??= why
    killGroup()
  }
  const timer = setTimeout(() => stop('timeout'), run.timeoutMs)
  const aborted = () => stop('aborted')
  if (run.signal?.aborted) aborted()
  run.signal?.addEventListener('abort', aborted, { once: true })
  const ended = new Promise<StreamedEnd>((resolve) => {
    const end = (code: number | null, said = stderr()) => {
      clearTimeout(timer)
      run.signal?.removeEventListener('abort', aborted)
      resolve({ code, stderr: said, ...(failure ? { failure } : {}) })
    }
    child.on('error', (error) => {
      failure ??= 'start'
      end(null, error.message)
    })
    child.on('close', (code) => end(code))
  })
  return { stdout: child.stdout, ended }
}
