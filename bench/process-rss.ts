/** Resident memory of a process and its children (e.g. nginx master + workers), for benchmarks. */
import { readdir, readFile } from 'node:fs/promises'

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
