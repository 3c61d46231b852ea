/**
 * Keeps one certificate per configured domain: loads stored ones, orders missing ones, renews
 * before expiry (order-schedule.ts), within the issuance budget (issuance-budget.ts), backing off
 * per domain after a failure. One pass at a time walks the domains in order, then sleeps until the
 * next one is due; a change of the site files starts a pass at once. A domain that leaves the
 * configuration is dropped: no renewal, no certificate served (its file stays on disk, so putting
 * it back needs no order).
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import type { Logger } from '../../ops/log.js'
import type { AcmeIssuer } from './acme-issuer.js'
import type { AcmeMetrics } from './acme-metrics.js'
import type { CertificateStore, StoredCertificate } from './certificate-store.js'
import type { IssuanceBudget } from './issuance-budget.js'
import {
  type Backoff,
  DEFAULT_BACKOFF,
  DEFAULT_RENEW_BEFORE,
  nextOrderTime,
  renewalTime,
  retryDelay,
} from './order-schedule.js'

export interface CertificateManagerOptions {
  readonly issuer: Pick<AcmeIssuer, 'issue'>
  readonly store: CertificateStore
  readonly budget: IssuanceBudget
  readonly metrics: AcmeMetrics
  readonly log: Logger
  /** Renew when this fraction of a certificate's lifetime is left. @default 1/3 */
  readonly renewBefore?: number
  /** Backoff per domain after failed orders. @default 5 min doubling up to 12 h */
  readonly backoff?: Backoff
  readonly clock?: () => number
  readonly random?: () => number
}

/** What /status/tls shows for a domain. */
export interface DomainStatus {
  readonly domain: string
  readonly notAfter?: string
  readonly renewAt?: string
  /** When the next order is placed (the renewal time, a backoff, or the budget's next slot). */
  readonly nextOrderAt: string
  readonly waitingForBudget: boolean
  readonly failures: number
  readonly lastError?: string
}

interface DomainState {
  certificate?: StoredCertificate
  context?: SecureContext
  failures: number
  retryAt?: number
  lastError?: string
  budgetSlot?: number
}

/** Timers wake at least this often, so a long wait survives a clock change (and setTimeout's 24.8-day limit). */
const MAX_SLEEP_MS = 3_600_000

export class CertificateManager {
  private desired = new Set<string>()
  private readonly states = new Map<string, DomainState>()
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private started = false
  private stopped = false

  constructor(private readonly options: CertificateManagerOptions) {}

  /** Replaces the domain set and, once started, checks every domain now. */
  update(domains: readonly string[]): void {
    this.desired = new Set(domains)
    this.kick()
  }

  /** Starts ordering: call it once the HTTP listener answers challenges. */
  start(): void {
    this.started = true
    this.kick()
  }

  /** The certificate to present for an SNI name; undefined for any name not configured. */
  secureContext(servername: string): SecureContext | undefined {
    return this.states.get(servername.toLowerCase())?.context
  }

  /** Whether a domain has a certificate that has not expired (HTTP then redirects to HTTPS). */
  hasValidCertificate(domain: string): boolean {
    const certificate = this.states.get(domain)?.certificate
    return certificate !== undefined && certificate.notAfter > this.now()
  }

  status(): DomainStatus[] {
    const iso = (time: number) => new Date(time).toISOString()
    const renewBefore = this.options.renewBefore ?? DEFAULT_RENEW_BEFORE
    return [...this.states].map(([domain, state]) => ({
      domain,
      ...(state.certificate && {
        notAfter: iso(state.certificate.notAfter),
        renewAt: iso(renewalTime(state.certificate, renewBefore)),
      }),
      nextOrderAt: iso(Math.max(nextOrderTime(state, renewBefore), state.budgetSlot ?? 0)),
      waitingForBudget: state.budgetSlot !== undefined,
      failures: state.failures,
      ...(state.lastError && { lastError: state.lastError }),
    }))
  }

  /** Stops scheduling; waits up to `graceMs` for an order in flight. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.running, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))])
    clearTimeout(timer)
  }

  private now(): number {
    return (this.options.clock ?? Date.now)()
  }

  private kick(): void {
    if (!this.started || this.stopped) return
    clearTimeout(this.timer)
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.pass()
      .catch((error: unknown) => {
        this.options.log.error({ err: error }, 'certificate check failed; retrying in a minute')
        this.sleepUntil(this.now() + 60_000)
      })
      .finally(() => {
        this.running = undefined
        if (this.again) {
          this.again = false
          this.kick()
        }
      })
  }

  private sleepUntil(time: number): void {
    if (this.stopped || !Number.isFinite(time)) return
    const delay = Math.min(MAX_SLEEP_MS, Math.max(0, time - this.now()))
    this.timer = setTimeout(() => this.kick(), delay)
    this.timer.unref()
  }

  private async pass(): Promise<void> {
    const { log, metrics, budget, store } = this.options
    const renewBefore = this.options.renewBefore ?? DEFAULT_RENEW_BEFORE
    for (const domain of [...this.states.keys()])
      if (!this.desired.has(domain)) {
        this.states.delete(domain)
        metrics.expiry.remove({ domain })
        log.info({ domain }, 'domain no longer configured; its certificate is not served or renewed')
      }
    let wake = Infinity
    for (const domain of [...this.desired].sort()) {
      if (this.stopped || this.again) return
      const state = this.states.get(domain) ?? (await this.loadStored(domain))
      const now = this.now()
      const due = nextOrderTime(state, renewBefore)
      if (due > now) {
        wake = Math.min(wake, due)
        continue
      }
      if (!budget.tryTake(now)) {
        if (state.budgetSlot === undefined) {
          metrics.deferred.inc()
          log.warn(
            { domain, budget: budget.limit, windowMs: budget.windowMs },
            `certificate order for ${domain} deferred: the issuance budget is spent`,
          )
        }
        state.budgetSlot = budget.nextSlot(now)
        wake = Math.min(wake, state.budgetSlot)
        continue
      }
      state.budgetSlot = undefined
      await store.saveOrderTimes(budget.taken())
      await this.order(domain, state)
      wake = Math.min(wake, nextOrderTime(state, renewBefore))
    }
    this.sleepUntil(wake)
  }

  private async loadStored(domain: string): Promise<DomainState> {
    const state: DomainState = { failures: 0 }
    this.states.set(domain, state)
    try {
      const stored = await this.options.store.load(domain)
      if (stored) this.install(domain, state, stored)
    } catch (error) {
      this.options.log.warn(
        { domain, err: error },
        `the stored certificate of ${domain} cannot be used; ordering a new one`,
      )
    }
    return state
  }

  private install(domain: string, state: DomainState, certificate: StoredCertificate): void {
    state.context = createSecureContext({ key: certificate.key, cert: certificate.chain })
    state.certificate = certificate
    this.options.metrics.expiry.set({ domain }, certificate.notAfter / 1000)
  }

  private async order(domain: string, state: DomainState): Promise<void> {
    const { issuer, store, metrics, log, backoff = DEFAULT_BACKOFF, random = Math.random } = this.options
    metrics.orders.inc()
    log.info({ domain, renewal: state.certificate !== undefined }, `ordering a certificate for ${domain}`)
    try {
      const issued = await issuer.issue(domain)
      const stored = await store.save(domain, issued.key, issued.chain)
      if (this.states.get(domain) === state) this.install(domain, state, stored)
      state.failures = 0
      state.retryAt = undefined
      state.lastError = undefined
      metrics.issued.inc()
      log.info(
        { domain, notAfter: new Date(stored.notAfter).toISOString() },
        `certificate for ${domain} issued`,
      )
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      state.failures += 1
      state.retryAt = this.now() + retryDelay(state.failures, random(), backoff)
      state.lastError = reason
      metrics.failed.inc()
      log.error(
        { domain, reason, failures: state.failures, retryAt: new Date(state.retryAt).toISOString() },
        `ordering a certificate for ${domain} failed: ${reason}`,
      )
    }
  }
}
