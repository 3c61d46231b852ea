/**
 * Runs the git CLI the one way the syncer allows: a clean environment (no system or user config,
 * no prompts, only the https and ssh transports), a deadline after which the whole process group
 * is killed, and bounded output. Secrets reach git only through the environment of one call,
 * never through its arguments.
 */
import { spawn } from 'node:child_process'

export interface GitCall {
  readonly args: readonly string[]
  readonly cwd?: string
  /** Added to the base environment for this call only (credentials, GIT_INDEX_FILE, …). */
  readonly env?: Readonly<Record<string, string>>
  readonly input?: string | Buffer
  readonly timeoutMs: number
  /** Stdout beyond this fails the call. Default 256 MiB. */
  readonly maxOutputBytes?: number
  /**
   * Largest file git and its helpers may write (RLIMIT_FSIZE, set by `ulimit -f`); beyond it the
   * kernel stops the writer with SIGXFSZ. Bounds what a fetch can put on disk.
   */
  readonly maxFileBytes?: number
}

export interface GitResult {
  readonly stdout: Buffer
  readonly stderr: string
}

export class GitCommandError extends Error {
  override name = 'GitCommandError'
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    super(
      timedOut
        ? `git ${command} did not finish in time`
        : `git ${command} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    )
  }
}

export interface GitRunnerOptions {
  readonly binary?: string
  /** Private directory git may use as HOME; nothing is read from it. */
  readonly home: string
  /** Sees every argument list, for tests proving that no secret is ever an argument. */
  readonly onSpawn?: (args: readonly string[]) => void
}

const STDERR_KEEP = 8 * 1024

/** The git subcommand of an argument list, for messages: options and the values of -c and -C skipped. */
export function subcommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '-c' || arg === '-C') i++
    else if (!arg.startsWith('-')) return arg
  }
  return 'command'
}

export class GitRunner {
  private readonly baseEnv: Record<string, string>

  constructor(private readonly options: GitRunnerOptions) {
    this.baseEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: options.home,
      LANG: 'C',
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ALLOW_PROTOCOL: 'https:ssh',
      GIT_PROTOCOL_FROM_USER: '0',
      GCM_INTERACTIVE: 'never',
    }
  }

  run(call: GitCall): Promise<GitResult> {
    const { args, timeoutMs, maxOutputBytes = 256 * 1024 ** 2 } = call
    const command = subcommand(args)
    this.options.onSpawn?.(args)
    return new Promise((resolve, reject) => {
      const binary = this.options.binary ?? 'git'
      // `ulimit -f` counts 512-byte blocks in POSIX sh; the limit is inherited by every git helper.
      const [program, argv] =
        call.maxFileBytes === undefined
          ? [binary, args]
          : [
              '/bin/sh',
              [
                '-c',
                'ulimit -f "$1" && shift && exec "$@"',
                'sh',
                String(Math.ceil(call.maxFileBytes / 512)),
                binary,
                ...args,
              ],
            ]
      const child = spawn(program, argv, {
        cwd: call.cwd,
        env: { ...this.baseEnv, ...call.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      })
      const stdout: Buffer[] = []
      let stdoutBytes = 0
      let stderr = ''
      let failure: 'timeout' | 'output' | undefined
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
      }, timeoutMs)
      child.stdout.on('data', (chunk: Buffer) => {
        stdoutBytes += chunk.length
        if (stdoutBytes > maxOutputBytes) {
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
        if (failure === 'output') stderr += `\noutput exceeded ${maxOutputBytes} bytes`
        if (code === 0 && !failure) resolve({ stdout: Buffer.concat(stdout), stderr })
        else reject(new GitCommandError(command, code, stderr, failure === 'timeout'))
      })
      child.stdin.end(call.input)
    })
  }
}
