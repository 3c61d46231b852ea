/**
 * A keyed work queue in the manner of client-go's: keys are deduplicated while they wait, a key is
 * never handled by two workers at once (an add during its run schedules exactly one more run),
 * at most `concurrency` keys run together, and a failing key is retried with per-key exponential
 * backoff while other keys keep flowing.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { Logger } from '../ops/log.js'

// `void` lets handlers that have nothing to ask for simply return.
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type HandleResult = void | { readonly requeueAfterMs?: number }

export interface WorkQueueOptions {
  /** Names the queue in logs and metrics, e.g. `staticsite`. */
  readonly name: string
  readonly concurrency: number
  readonly handle: (key: string) => Promise<HandleResult>
  readonly baseDelayMs?: number
  readonly maxDelayMs?: number
  readonly log: Logger
  readonly registry?: Registry
}

interface QueueMetrics {
  readonly depth: Gauge
  readonly handled: Counter
  readonly duration: Histogram
}

const metricsByRegistry = new WeakMap<Registry, QueueMetrics>()

/** One set of metric objects per registry, labelled by queue, so several queues can share it. */
function queueMetrics(registry: Registry): QueueMetrics {
  let metrics = metricsByRegistry.get(registry)
  if (!metrics) {
    metrics = {
      depth: new Gauge({
        name: 'hostplane_queue_depth',
        help: 'Keys waiting in a work queue',
        labelNames: ['queue'],
        registers: [registry],
      }),
      handled: new Counter({
        name: 'hostplane_queue_handled_total',
        help: 'Keys handled by a work queue, by result (success, requeue, error)',
        labelNames: ['queue', 'result'],
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'hostplane_queue_handle_seconds',
        help: 'Time spent handling one key',
        labelNames: ['queue'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
    }
    metricsByRegistry.set(registry, metrics)
  }
  return metrics
}

export class WorkQueue {
  private readonly waiting: string[] = []
  private readonly queued = new Set<string>()
  private readonly running = new Set<string>()
  private readonly dirty = new Set<string>()
  private readonly failures = new Map<string, number>()
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>()
  private readonly idle: (() => void)[] = []
  private readonly metrics: QueueMetrics | undefined
  private started = false
  private closed = false

  constructor(private readonly options: WorkQueueOptions) {
    this.metrics = options.registry ? queueMetrics(options.registry) : undefined
  }

  /** Keys waiting to run (not counting running or delayed ones). */
  get depth(): number {
    return this.waiting.length
  }

  add(key: string): void {
    if (this.closed) return
    if (this.running.has(key)) {
      this.dirty.add(key)
      return
    }
    if (this.queued.has(key)) return
    this.queued.add(key)
    this.waiting.push(key)
    this.metrics?.depth.set({ queue: this.options.name }, this.waiting.length)
    this.kick()
  }

  /** Adds `key` after `ms`; an earlier pending add of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.closed) return
    if (ms <= 0) return this.add(key)
    const at = Date.now() + ms
    const pending = this.timers.get(key)
    if (pending && pending.at <= at) return
    if (pending) clearTimeout(pending.timer)
    const timer = setTimeout(() => {
      this.timers.delete(key)
      this.add(key)
    }, ms)
    timer.unref()
    this.timers.set(key, { at, timer })
  }

  start(): void {
    this.started = true
    this.kick()
  }

  /** Stops taking keys, cancels delayed adds and waits for running handlers to finish. */
  async shutdown(): Promise<void> {
    this.closed = true
    for (const { timer } of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    this.waiting.length = 0
    this.queued.clear()
    if (this.running.size > 0) await new Promise<void>((resolve) => this.idle.push(resolve))
  }

  private kick(): void {
    while (
      this.started &&
      !this.closed &&
      this.running.size < this.options.concurrency &&
      this.waiting.length > 0
    ) {
      const key = this.waiting.shift() as string
      this.queued.delete(key)
      this.running.add(key)
      this.metrics?.depth.set({ queue: this.options.name }, this.waiting.length)
      void this.run(key)
    }
  }

  private async run(key: string): Promise<void> {
    const { name, handle, baseDelayMs = 200, maxDelayMs = 60_000, log } = this.options
    const end = this.metrics?.duration.startTimer({ queue: name })
    try {
      const result = await handle(key)
      this.failures.delete(key)
      if (result?.requeueAfterMs !== undefined) {
        this.metrics?.handled.inc({ queue: name, result: 'requeue' })
        this.addAfter(key, result.requeueAfterMs)
      } else {
        this.metrics?.handled.inc({ queue: name, result: 'success' })
      }
    } catch (error) {
      const failures = (this.failures.get(key) ?? 0) + 1
      this.failures.set(key, failures)
      const delay = Math.round(
        Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1)) * (0.75 + Math.random() / 2),
      )
      this.metrics?.handled.inc({ queue: name, result: 'error' })
      log.warn(
        { err: error, queue: name, key, failures, retryInMs: delay },
        `handling ${key} failed; retrying`,
      )
      this.addAfter(key, delay)
    } finally {
      end?.()
      this.running.delete(key)
      if (this.dirty.delete(key)) this.add(key)
      if (this.running.size === 0) for (const resolve of this.idle.splice(0)) resolve()
      this.kick()
    }
  }
}
