/**
 * Runs the git CLI the one way the syncer allows: a clean environment (no system or user config,
 * no prompts, only the https and ssh transports), a deadline after which the whole process group
 * is killed, and bounded output. Secrets reach git only through the environment of one call,
 * never through its arguments.
 */
import { BoundedProcessError, runBounded } from '../ops/bounded-process.js'

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

export class GitCommandError extends BoundedProcessError {
  override name = 'GitCommandError'
  constructor(command: string, exitCode: number | null, stderr: string, timedOut: boolean) {
    super('git', command, exitCode, stderr, timedOut)
  }
}

export interface GitRunnerOptions {
  readonly binary?: string
  /** Private directory git may use as HOME; nothing is read from it. */
  readonly home: string
  /** Sees every argument list, for tests proving that no secret is ever an argument. */
  readonly onSpawn?: (args: readonly string[]) => void
}

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

  async run(call: GitCall): Promise<GitResult> {
    const { args, timeoutMs, maxOutputBytes = 256 * 1024 ** 2 } = call
    const command = subcommand(args)
    this.options.onSpawn?.(args)
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
    const result = await runBounded({
      program,
      args: argv,
      cwd: call.cwd,
      env: { ...this.baseEnv, ...call.env },
      input: call.input,
      timeoutMs,
      maxOutputBytes,
    })
    const stderr =
      result.failure === 'output'
        ? `${result.stderr}\noutput exceeded ${maxOutputBytes} bytes`
        : result.stderr
    if (result.code === 0 && !result.failure) return { stdout: result.stdout, stderr }
    throw new GitCommandError(command, result.code, stderr, result.failure === 'timeout')
  }
}
