/**
 * Sign-in attempts per client address in fixed one-minute windows: enough for a person who
 * retries, too few for a bot that replays callbacks or floods the provider with authorization
 * requests. Memory holds only the current minute's addresses. Pure state with an injected clock.
 */
export class SignInRateLimiter {
  private window = -1
  private readonly counts = new Map<string, number>()

  constructor(
    /** Attempts per address per minute. @default 20 */
    private readonly perMinute = 20,
    private readonly clock: () => number = Date.now,
    /** Addresses remembered within one minute; past it the minute starts over. @default 100000 */
    private readonly maxAddresses = 100_000,
  ) {}

  /** Counts an attempt from `address`; false when it is over the limit. */
  admit(address: string): boolean {
    const window = Math.floor(this.clock() / 60_000)
    if (window !== this.window || this.counts.size >= this.maxAddresses) {
      this.window = window
      this.counts.clear()
    }
    const count = (this.counts.get(address) ?? 0) + 1
    this.counts.set(address, count)
    return count <= this.perMinute
  }
}
