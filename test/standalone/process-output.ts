/** Waits until a child process has written text matching `pattern` to stdout or stderr. */
import type { ChildProcess } from 'node:child_process'

export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let output = ''
    const done = (error?: Error, match?: RegExpExecArray) => {
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.stderr?.off('data', onData)
      child.off('exit', onExit)
      if (match) resolve(match)
      else reject(error ?? new Error('no output'))
    }
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const match = pattern.exec(output)
      if (match) done(undefined, match)
    }
    const onExit = (code: number | null) =>
      done(new Error(`exited with ${code} before printing ${pattern}; output:\n${output}`))
    const timer = setTimeout(
      () => done(new Error(`nothing matched ${pattern} within ${timeoutMs} ms; output:\n${output}`)),
      timeoutMs,
    )
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', onExit)
  })
}
