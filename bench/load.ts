/**
 * What the serving benchmarks share: wrk as a keep-alive load generator with a fixed number of
 * connections, the median of alternating runs, and the resident memory of a process tree.
 */
import { readdir, readFile } from 'node:fs/promises'
import { run, runOrThrow } from '../test/cluster/process.js'

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

/** wrk is no npm package: say how to get it rather than fail with ENOENT half-way through. */
export async function requireWrk(): Promise<void> {
  await run('wrk', ['--version']).catch(() => {
    throw new Error('this benchmark needs wrk as its load generator: apt-get install wrk')
  })
}

/**
 * One wrk thread; any non-2xx/3xx answer or socket error fails the run. A request may take up to
 * 10 s (wrk's default is 2 s): on a shared machine a stall that long is the machine's.
 */
export async function wrk(url: string, { connections, seconds, host }: WrkOptions): Promise<WrkResult> {
  const { stdout } = await runOrThrow(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '--latency', '-H', `Host: ${host}`, url],
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
  const own = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
  let children = 0
  for (const child of await childrenOf(pid)) children += await rssMiB(child)
  return Math.round((own + children) * 10) / 10
}

/**
 * CPU seconds (user + system) a process and its running children (nginx master + workers) have
 * used. Divided by the requests served, it is the figure a busy shared machine disturbs least:
 * other jobs take CPU time away from a server, but add little to what each request costs it.
 */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second).
  let seconds = (Number(fields[11]) + Number(fields[12])) / 100
  for (const child of await childrenOf(pid)) seconds += await cpuSeconds(child)
  return seconds
}

async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = []
  for (const task of await readdir(`/proc/${pid}/task`)) {
    const list = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')
    for (const child of list.split(' ').filter(Boolean)) children.push(Number(child))
  }
  return children
}
