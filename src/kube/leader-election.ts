/**
 * Lease-based leader election (coordination.k8s.io/v1), as client-go does it: replicas race to
 * hold one Lease; the holder renews it every retry period and stops leading when it could not
 * renew within the renew deadline, which is shorter than the lease duration, so it has stopped
 * writing before any other replica may take over. Expiry is judged by when this replica last saw
 * the Lease change, not by the holder's clock. Losing the lease is not fatal: the replica becomes
 * a candidate again (an API server outage must not need a restart to recover from). A failing
 * renewal is logged once, when it starts failing, and once when the API server answers again, not
 * at every retry.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FailureStreak } from '../ops/failure-streak.js'
import type { Logger } from '../ops/log.js'
import type { WriteCounter } from './apply.js'
import { isConflict, isNotFound, type KubeRest, resourcePath } from './rest.js'

export interface LeaderElectionOptions {
  readonly rest: KubeRest
  readonly namespace: string
  readonly name: string
  /** Unique per replica, e.g. the pod name plus a random suffix. */
  readonly identity: string
  readonly log: Logger
  readonly countWrite: WriteCounter
  /** @default 15000 */
  readonly leaseDurationMs?: number
  /** @default 10000 */
  readonly renewDeadlineMs?: number
  /** @default 2000 */
  readonly retryPeriodMs?: number
  /** How long without an answer from the API server before `stalled`. @default 60000 */
  readonly livenessMs?: number
  readonly clock?: () => number
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string }
  spec: {
    holderIdentity?: string
    leaseDurationSeconds?: number
    acquireTime?: string
    renewTime?: string
    leaseTransitions?: number
  }
}

const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')

const pause = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => undefined)

export class LeaderElector {
  private observed: { readonly record: string; readonly at: number } | undefined
  private leading = false
  private lastContact: number
  private readonly failures: FailureStreak

  constructor(private readonly options: LeaderElectionOptions) {
    this.lastContact = (options.clock ?? Date.now)()
    this.failures = new FailureStreak(options.log, { lease: options.name })
  }

  get isLeader(): boolean {
    return this.leading
  }

  /** No answer from the API server about the lease for longer than `livenessMs`. */
  get stalled(): boolean {
    const { livenessMs = 60_000, clock = Date.now } = this.options
    return clock() - this.lastContact > livenessMs
  }

  private contact(): void {
    this.lastContact = (this.options.clock ?? Date.now)()
    this.failures.succeeded('the API server answers about the lease again')
  }

  private get path() {
    const { namespace, name } = this.options
    return resourcePath({ apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace, name })
  }

  /**
   * Campaigns until `signal` aborts; while this replica holds the lease, `lead` runs with a signal
   * that aborts when leadership ends. On shutdown the lease is released for a fast hand-over.
   */
  async run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>): Promise<void> {
    const { log, retryPeriodMs = 2000 } = this.options
    while (!signal.aborted) {
      if (!(await this.tryAcquireOrRenew())) {
        await pause(retryPeriodMs, signal)
        continue
      }
      log.info({ lease: this.options.name, identity: this.options.identity }, 'became the leader')
      this.leading = true
      const leading = new AbortController()
      const stopLeading = () => leading.abort()
      signal.addEventListener('abort', stopLeading, { once: true })
      const work = lead(leading.signal)
      await Promise.race([this.renewUntilLost(leading.signal), work.catch(() => undefined)])
      leading.abort()
      signal.removeEventListener('abort', stopLeading)
      await work.catch((error: unknown) => log.error({ err: error }, 'the leader work failed'))
      this.leading = false
      if (signal.aborted) await this.release()
      else {
        log.warn({ lease: this.options.name }, 'lost the leadership; campaigning again')
        await pause(retryPeriodMs, signal)
      }
    }
  }

  private async renewUntilLost(leading: AbortSignal): Promise<void> {
    const { retryPeriodMs = 2000, renewDeadlineMs = 10_000, clock = Date.now } = this.options
    let lastRenew = clock()
    while (!leading.aborted) {
      await pause(retryPeriodMs, leading)
      if (leading.aborted) return
      if (await this.tryAcquireOrRenew()) lastRenew = clock()
      else if (clock() - lastRenew >= renewDeadlineMs) return
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { rest, namespace, name, identity, countWrite, clock = Date.now } = this.options
    const { leaseDurationMs = 15_000, renewDeadlineMs = 10_000 } = this.options
    const now = clock()
    const timeoutMs = Math.min(5000, renewDeadlineMs)
    const spec = (previous?: Lease['spec']): Lease['spec'] => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      acquireTime: previous?.holderIdentity === identity ? previous.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions:
        (previous?.leaseTransitions ?? 0) + (previous && previous.holderIdentity !== identity ? 1 : 0),
    })
    try {
      let lease: Lease
      try {
        lease = await rest.request<Lease>('GET', this.path, { timeoutMs })
        this.contact()
      } catch (error) {
        if (!isNotFound(error)) throw error
        this.contact()
        countWrite({ verb: 'create', resource: 'leases' })
        await rest.request(
          'POST',
          resourcePath({ apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace }),
          {
            body: {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name, namespace },
              spec: spec(),
            },
            timeoutMs,
          },
        )
        this.observed = undefined
        return true
      }
      const record = JSON.stringify(lease.spec)
      if (this.observed?.record !== record) this.observed = { record, at: now }
      const holder = lease.spec.holderIdentity
      const expired = this.observed.at + (lease.spec.leaseDurationSeconds ?? 0) * 1000 <= now
      if (holder && holder !== identity && !expired) return false
      countWrite({ verb: 'update', resource: 'leases' })
      const updated = await rest.request<Lease>('PUT', this.path, {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: lease.metadata,
          spec: spec(lease.spec),
        },
        timeoutMs,
      })
      this.observed = { record: JSON.stringify(updated.spec), at: now }
      return true
    } catch (error) {
      if (!isConflict(error)) this.failures.failed(error, 'could not acquire or renew the lease; retrying')
      return false
    }
  }

  /** Gives the lease up (empty holder, 1 s duration) so another replica takes over at once. */
  private async release(): Promise<void> {
    const { rest, identity, log, countWrite } = this.options
    try {
      const lease = await rest.request<Lease>('GET', this.path, { timeoutMs: 5000 })
      if (lease.spec.holderIdentity !== identity) return
      countWrite({ verb: 'update', resource: 'leases' })
      await rest.request('PUT', this.path, {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: lease.metadata,
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
        },
        timeoutMs: 5000,
      })
    } catch (error) {
      log.warn({ err: error }, 'could not release the lease; another replica takes over when it expires')
    }
  }
}
