/**
 * How every controller starts and stops: sync its caches, pass an optional gate (the domain
 * claims of the other kinds being loaded) once the caches it needs are synced, and only when every
 * cache is synced run the work queue, so the first pass
 * over every key sees complete caches (orphans are removed, no domain goes to a newer claim).
 * Stopping stops the caches, releases a start still waiting at the gate, then waits for running
 * reconciles.
 */
import type { WorkQueue } from './work-queue.js'

/** A cache (an informer, or an index built on one) that must be synced before work starts. */
export interface Cache {
  start(): Promise<void>
  stop(): Promise<void>
  /** Synced, but its watch has heard nothing from the API server for too long (see Informer). */
  readonly stalled?: boolean
}

export interface ControllerParts {
  readonly caches: readonly Cache[]
  readonly queue: Pick<WorkQueue, 'start' | 'shutdown'>
  /** Resolves when the queue may start, or early once `stopping` aborts. */
  readonly gate?: (stopping: AbortSignal) => Promise<void>
  /**
   * The caches the gate needs synced before it is entered (default: all). Other controllers may
   * wait at their gates for this one's (the domain claims), so a cache this gate does not need —
   * one of a kind the API server does not serve yet, mid-upgrade — must not hold them all up.
   */
  readonly gateAfter?: readonly Cache[]
}

export class ControllerLifecycle {
  private readonly stopping = new AbortController()
  private started = false

  constructor(private readonly parts: ControllerParts) {}

  /** True once every cache is synced and the queue runs. */
  get ready(): boolean {
    return this.started
  }

  /** Resolves when reconciling has begun (or the controller was stopped on the way). */
  async start(): Promise<void> {
    const { caches, queue, gate, gateAfter = caches } = this.parts
    const syncs = caches.map((cache) => ({ cache, synced: cache.start() }))
    await Promise.all(syncs.filter(({ cache }) => gateAfter.includes(cache)).map(({ synced }) => synced))
    await gate?.(this.stopping.signal)
    await Promise.all(syncs.map(({ synced }) => synced))
    if (this.stopping.signal.aborted) return
    queue.start()
    this.started = true
  }

  /** Stops watching and waits for running reconciles to finish. */
  async stop(): Promise<void> {
    this.stopping.abort()
    await Promise.all(this.parts.caches.map((c) => c.stop()))
    await this.parts.queue.shutdown()
  }
}
