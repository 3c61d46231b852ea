/**
 * How long a refused object waits before its write is tried again. A refusal (refusal.ts) needs
 * someone to act, so retrying it at the work queue's pace only repeats the same request: the
 * wait starts at `baseMs` and doubles per refusal up to `maxMs`, with jitter so that many objects
 * refused at once do not retry in step. The wait belongs to the inputs that were refused, named
 * by a fingerprint (e.g. the object's generation and the namespace's quota versions): when they
 * change, the next reconcile tries at once and a new refusal starts again from `baseMs`.
 * Between retries the controller reports the held refusal from here and writes nothing.
 */
import type { Refusal } from './refusal.js'

/** The flags' part of the options (docs/operator.md): how long refused objects wait. */
export interface RefusalBackoffTimes {
  /** First wait; @default 5 s */
  readonly baseMs?: number
  /** Longest wait; @default 5 minutes */
  readonly maxMs?: number
  /** Each wait varies by up to this fraction either way; @default 0.25 */
  readonly jitter?: number
}

export interface RefusalBackoffOptions extends RefusalBackoffTimes {
  /** Queues `key` again after `afterMs` (the controller's delayed enqueue). */
  readonly retry: (key: string, afterMs: number) => void
  /** A number in [0, 1); @default Math.random */
  readonly random?: () => number
  /** Milliseconds now; @default Date.now */
  readonly now?: () => number
}

interface Held {
  readonly fingerprint: string
  readonly refusal: Refusal
  readonly refusals: number
  readonly retryAt: number
}

/** Keys remembered; the oldest is forgotten first (it is then retried at once, as after a restart). */
const MAX_KEYS = 50_000

export class RefusalBackoff {
  private readonly held = new Map<string, Held>()

  constructor(private readonly options: RefusalBackoffOptions) {}

  /**
   * The refusal still in force for `key` with the inputs `fingerprint` names (computed only when
   * something is held), undefined when the write should be tried now.
   */
  holding(key: string, fingerprint: () => string): Refusal | undefined {
    const { now = Date.now, retry } = this.options
    const held = this.held.get(key)
    const retryInMs = (held?.retryAt ?? 0) - now()
    if (!held || retryInMs <= 0 || held.fingerprint !== fingerprint()) return undefined
    // A timer may fire a little before the clock reaches retryAt: keep the retry scheduled.
    retry(key, retryInMs)
    return held.refusal
  }

  /**
   * Records that the write of `key` with these inputs was refused and schedules its retry;
   * returns the wait.
   */
  refused(key: string, fingerprint: string, refusal: Refusal): number {
    const {
      baseMs = 5000,
      maxMs = 300_000,
      jitter = 0.25,
      random = Math.random,
      now = Date.now,
      retry,
    } = this.options
    const previous = this.held.get(key)
    const refusals = previous?.fingerprint === fingerprint ? previous.refusals + 1 : 1
    const waitMs = Math.round(
      Math.min(maxMs, baseMs * 2 ** (refusals - 1)) * (1 - jitter + 2 * jitter * random()),
    )
    this.held.delete(key)
    this.held.set(key, { fingerprint, refusal, refusals, retryAt: now() + waitMs })
    const oldest = this.held.keys().next()
    if (this.held.size > MAX_KEYS && !oldest.done) this.held.delete(oldest.value)
    retry(key, waitMs)
    return waitMs
  }

  /** True while a refusal of `key` is remembered (due or not): a change of its inputs may admit it. */
  has(key: string): boolean {
    return this.held.has(key)
  }

  /** The write went through, or the object is gone: nothing is held for `key` any more. */
  clear(key: string): void {
    this.held.delete(key)
  }
}
