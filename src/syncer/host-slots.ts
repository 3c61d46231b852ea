/**
 * Concurrency limits for talking to git hosts: a global limit, and a limit per host. A site whose
 * host is at its limit waits in that host's queue, ordered by when it became due (earliest
 * first, then by arrival), and is handed a slot the moment one frees — nothing polls. When the
 * global limit is reached, the freed slot goes to the earliest-due head among the hosts that have
 * room, so one crowded host cannot starve the others.
 *
 * Waiting costs no worker: callers await `acquire` from a task of their own (the StaticSite
 * controller hands the site over and returns its worker). Memory is one entry per waiting call;
 * callers keep at most one call per site.
 */
import type { SyncMetrics } from './sync-metrics.js'

export interface HostSlotsOptions {
  /** Git network operations at once, all hosts together. Default 8. */
  readonly global?: number
  /** Git network operations at once against one host. Default 4. */
  readonly perHost?: number
  /** Reports the queue lengths and wait times. */
  readonly metrics?: SyncMetrics
  readonly now?: () => number
}

export interface AcquireOptions {
  /** When the caller became due (ms, the `now` clock); the earliest waits least. Default now. */
  readonly due?: number
  /** Leaves the queue: `acquire` rejects with the signal's reason. No effect once the slot is held. */
  readonly signal?: AbortSignal
}

interface Waiter {
  readonly host: string
  readonly due: number
  readonly seq: number
  readonly since: number
  readonly grant: (release: () => void) => void
}

const before = (a: Waiter, b: Waiter) => a.due < b.due || (a.due === b.due && a.seq < b.seq)

export class HostSlots {
  private readonly global: number
  private readonly perHost: number
  private readonly now: () => number
  private active = 0
  private seq = 0
  private readonly byHost = new Map<string, number>()
  /** Per host, waiting calls sorted earliest-due first. */
  private readonly queues = new Map<string, Waiter[]>()
  private readonly metrics: SyncMetrics | undefined

  constructor({ global = 8, perHost = 4, metrics, now = Date.now }: HostSlotsOptions = {}) {
    if (global < 1 || perHost < 1) throw new Error('concurrency limits must be at least 1')
    this.global = global
    this.perHost = perHost
    this.now = now
    metrics?.hostQueuesFrom(() => [...this.queues].map(([host, queue]) => [host, queue.length]))
    this.metrics = metrics
  }

  /** Takes a slot for `host`, waiting in the host's queue while it has none. Call the result to release. */
  acquire(host: string, { due = this.now(), signal }: AcquireOptions = {}): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = () => {
        if (this.leave(waiter)) reject(signal?.reason)
      }
      const waiter: Waiter = {
        host,
        due,
        seq: this.seq++,
        since: this.now(),
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(release)
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.enqueue(waiter)
      this.pump()
    })
  }

  inUse(host?: string): number {
    return host === undefined ? this.active : (this.byHost.get(host) ?? 0)
  }

  /** Calls waiting for a slot, for one host or all. */
  waiting(host?: string): number {
    if (host !== undefined) return this.queues.get(host)?.length ?? 0
    let total = 0
    for (const queue of this.queues.values()) total += queue.length
    return total
  }

  private enqueue(waiter: Waiter): void {
    const queue = this.queues.get(waiter.host) ?? []
    this.queues.set(waiter.host, queue)
    // Binary search for the first entry that comes after it: sites mostly arrive in due order, so
    // this is an append, and a 10,000-entry queue stays a cheap array.
    let low = 0
    let high = queue.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (before(queue[middle] as Waiter, waiter)) low = middle + 1
      else high = middle
    }
    queue.splice(low, 0, waiter)
  }

  /** Removes a waiting call; false when it was already granted. */
  private leave(waiter: Waiter): boolean {
    const queue = this.queues.get(waiter.host)
    const index = queue?.indexOf(waiter) ?? -1
    if (!queue || index < 0) return false
    queue.splice(index, 1)
    if (queue.length === 0) this.queues.delete(waiter.host)
    return true
  }

  /** Grants free slots to the earliest-due heads of the hosts with room. */
  private pump(): void {
    while (this.active < this.global) {
      let next: Waiter | undefined
      for (const [host, queue] of this.queues) {
        const head = queue[0]
        if (head && (this.byHost.get(host) ?? 0) < this.perHost && (!next || before(head, next))) next = head
      }
      if (!next) return
      this.leave(next)
      this.take(next)
    }
  }

  private take(waiter: Waiter): void {
    const { host } = waiter
    this.active++
    this.byHost.set(host, (this.byHost.get(host) ?? 0) + 1)
    this.metrics?.hostWait.observe(Math.max(0, this.now() - waiter.since) / 1000)
    let released = false
    waiter.grant(() => {
      if (released) return
      released = true
      this.active--
      const left = (this.byHost.get(host) ?? 1) - 1
      if (left === 0) this.byHost.delete(host)
      else this.byHost.set(host, left)
      this.pump()
    })
  }
}
