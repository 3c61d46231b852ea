/** Small process helpers for the harness: run a command to completion, probe and stop pids. */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    // Without `input` the child reads end of file at once. One that exits before reading all of
    // it is judged by its exit code, not by EPIPE.
    child.stdin.on('error', () => {})
    child.stdin.end(options.input)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
    })
    const timer = options.timeoutMs
      ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs).unref()
      : undefined
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })
    })
  })
}

export async function runOrThrow(
  command: string,
  args: readonly string[],
  options: Parameters<typeof run>[2] = {},
) {
  const result = await run(command, args, options)
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.code}\n${result.stderr.slice(-4000)}`)
  }
  return result
}

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The pid's command line, so a recycled pid is never mistaken for one of our processes. */
export const commandLine = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    return ''
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls `check` until it returns a value, or throws `describe()` after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  {
    timeoutMs,
    intervalMs = 100,
    describe,
  }: { timeoutMs: number; intervalMs?: number; describe: () => string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(describe())
    await sleep(intervalMs)
  }
}

/**
 * Starts servers side by side. When one fails to start, those that did are stopped before the
 * failure is thrown: a server left running would keep the test file alive until its timeout.
 */
export async function startTogether<T extends readonly { stop(): Promise<void> }[]>(starts: {
  readonly [K in keyof T]: Promise<T[K]>
}): Promise<T> {
  const settled = await Promise.allSettled(starts)
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<T[number]>).value) as unknown as T
  await Promise.allSettled(
    settled.flatMap((s) => (s.status === 'fulfilled' ? [(s.value as T[number]).stop()] : [])),
  )
  throw failed.reason
}
