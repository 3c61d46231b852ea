/**
 * Failed sign-ins per source address: after `perMinute` failures in a sliding minute an address
 * is refused until its oldest failure is a minute old, so guessing tokens costs a bot its time
 * while a customer with a working token is never slowed down. Pure state with an injected clock.
 */
export interface FailureLimits {
  /** Failed attempts per address per minute before it is refused. @default 10 */
  readonly perMinute?: number
  /** Addresses remembered at most; the ones with no recent failure are forgotten first. @default 10000 */
  readonly maxAddresses?: number
}

const MINUTE_MS = 60_000

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>()

  constructor(
    private readonly limits: FailureLimits = {},
    private readonly clock: () => number = Date.now,
  ) {}

  private recent(address: string, now: number): number[] {
    return (this.failures.get(address) ?? []).filter((t) => now - t < MINUTE_MS)
  }

  /** Milliseconds until `address` may try again; 0 when it may try now. */
  retryAfterMs(address: string): number {
    const { perMinute = 10 } = this.limits
    const now = this.clock()
    const times = this.recent(address, now)
    if (times.length < perMinute) return 0
    return MINUTE_MS - (now - (times[times.length - perMinute] ?? now))
  }

  failed(address: string): void {
    const { maxAddresses = 10_000 } = this.limits
    const now = this.clock()
    const times = this.recent(address, now)
    times.push(now)
    this.failures.delete(address)
    this.failures.set(address, times)
    if (this.failures.size > maxAddresses) this.forget(now, maxAddresses)
  }

  private forget(now: number, maxAddresses: number): void {
    for (const [address, times] of this.failures)
      if (!times.some((t) => now - t < MINUTE_MS)) this.failures.delete(address)
    for (const address of this.failures.keys()) {
      if (this.failures.size <= maxAddresses) break
      this.failures.delete(address)
    }
  }
}
