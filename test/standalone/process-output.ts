/** What a child process writes to stdout and stderr, kept so that tests can wait for a line. */
import type { ChildProcess } from 'node:child_process'

export class ProcessOutput {
  private text = ''
  private readonly listeners = new Set<() => void>()

  constructor(private readonly child: ChildProcess) {
    const onData = (chunk: Buffer) => {
      this.text += chunk.toString('utf8')
      for (const listener of this.listeners) listener()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
  }

  /** Everything written so far. */
  get all(): string {
    return this.text
  }

  /** Waits until the output, from the start, matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error, match?: RegExpExecArray) => {
        clearTimeout(timer)
        this.listeners.delete(check)
        this.child.off('exit', onExit)
        if (match) resolve(match)
        else reject(error ?? new Error('no output'))
      }
      const check = () => {
        const match = pattern.exec(this.text)
        if (match) done(undefined, match)
      }
      const onExit = (code: number | null) =>
        done(new Error(`exited with ${code} before printing ${pattern}; output:\n${this.text}`))
      const timer = setTimeout(
        () => done(new Error(`nothing matched ${pattern} within ${timeoutMs} ms; output:\n${this.text}`)),
        timeoutMs,
      )
      this.listeners.add(check)
      this.child.once('exit', onExit)
      check()
    })
  }
}

/** Waits until a child process writes text matching `pattern` from now on. */
export const waitForOutput = (child: ChildProcess, pattern: RegExp, timeoutMs: number) =>
  new ProcessOutput(child).waitFor(pattern, timeoutMs)
