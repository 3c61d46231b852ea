/**
 * At most `limit` new ACME orders in any `windowMs` (a sliding window), so a flood of domains in
 * the site files cannot exhaust the CA's rate limits (Let's Encrypt: 300 new orders per account in
 * 3 hours, 5 failed validations per domain and hour). Pure: the caller passes the time, and keeps
 * `taken()` on disk so a restart loop cannot reset the budget.
 */
export class IssuanceBudget {
  private times: number[]

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    taken: readonly number[] = [],
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`an order budget must be at least 1, not ${limit}`)
    if (!(windowMs > 0)) throw new Error(`an order budget window must be positive, not ${windowMs} ms`)
    this.times = [...taken].sort((a, b) => a - b)
  }

  /** Takes one order from the budget when one is left at `now`. */
  tryTake(now: number): boolean {
    this.forget(now)
    if (this.times.length >= this.limit) return false
    this.times.push(now)
    return true
  }

  /** When the next order fits into the budget (`now` when one is left). */
  nextSlot(now: number): number {
    this.forget(now)
    const oldest = this.times[this.times.length - this.limit]
    return oldest === undefined ? now : oldest + this.windowMs
  }

  /** Times of the orders still counted, oldest first. */
  taken(): readonly number[] {
    return this.times
  }

  private forget(now: number): void {
    const start = now - this.windowMs
    const kept = this.times.filter((time) => time > start && time <= now)
    if (kept.length !== this.times.length) this.times = kept
  }
}
