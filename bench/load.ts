/**
 * What the serving benchmarks share: wrk as a keep-alive load generator with a fixed number of
 * connections, the median of alternating runs, and the resident memory of a process tree.
 */
import { readdir, readFile } from 'node:fs/promises'
import { runOrThrow } from '../test/cluster/process.js'

export interface WrkOptions {
  readonly connections: number
  readonly seconds: number
  /** Host header of every request. */
  readonly host: string
}

export interface WrkResult {
  readonly requestsPerSecond: number
  readonly p99: string
}

/** One wrk thread; any non-2xx/3xx answer or socket error fails the run. */
export async function wrk(url: string, { connections, seconds, host }: WrkOptions): Promise<WrkResult> {
  const { stdout } = await runOrThrow(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `Host: ${host}`, url],
    { timeoutMs: (seconds + 60) * 1000 },
  )
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]
  const p99 = /\s99%\s+(\S+)/.exec(stdout)?.[1]
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout)?.[0] ?? ''
  if (!rps || !p99) throw new Error(`cannot read wrk output:\n${stdout}`)
  if (errors) throw new Error(`failed requests against ${url}: ${errors}`)
  return { requestsPerSecond: Number(rps), p99 }
}

/** The machine is shared: a figure is the median of several runs. */
export const median = (runs: readonly WrkResult[]): WrkResult => {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)
  const middle = sorted[Math.floor(sorted.length / 2)]
  if (!middle) throw new Error('no runs')
  return middle
}

/** RSS of a process and its children (nginx master + workers), in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const own = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  let children = 0
  for (const task of await readdir(`/proc/${pid}/task`)) {
    const list = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')
    for (const child of list.split(' ').filter(Boolean)) children += (await rssMiB(Number(child))) * 1024
  }
  return Math.round(((own + children) / 1024) * 10) / 10
}
