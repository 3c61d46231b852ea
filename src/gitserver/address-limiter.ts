/**
 * Rate limits before authentication, per source address: at most `perMinute` new connections in
 * any sliding minute and at most `unauthenticated` connections at once that have not yet proved
 * a key. A scanner or a password-guessing bot is turned away at TCP accept, before any key
 * exchange costs the server CPU. Pure state with an injected clock.
 */
export interface AddressLimits {
  /** New connections per address per minute. @default 60 */
  readonly perMinute?: number
  /** Connections per address still in handshake or authentication. @default 10 */
  readonly unauthenticated?: number
}

export class AddressLimiter {
  private readonly recent = new Map<string, number[]>()
  private readonly pending = new Map<string, number>()

  constructor(
    private readonly limits: AddressLimits = {},
    private readonly clock: () => number = Date.now,
  ) {}

  /** True when a new connection from `address` may proceed; it then counts as unauthenticated. */
  admit(address: string): boolean {
    const { perMinute = 60, unauthenticated = 10 } = this.limits
    const now = this.clock()
    if (this.recent.size > 10_000) this.forgetOlderThanAMinute(now)
    const times = (this.recent.get(address) ?? []).filter((t) => now - t < 60_000)
    if (times.length >= perMinute || (this.pending.get(address) ?? 0) >= unauthenticated) {
      this.recent.set(address, times)
      return false
    }
    times.push(now)
    this.recent.set(address, times)
    this.pending.set(address, (this.pending.get(address) ?? 0) + 1)
    return true
  }

  private forgetOlderThanAMinute(now: number): void {
    for (const [address, times] of this.recent)
      if (!times.some((t) => now - t < 60_000)) this.recent.delete(address)
  }

  /** The connection authenticated or closed: it no longer counts as unauthenticated. */
  settled(address: string): void {
    const count = (this.pending.get(address) ?? 0) - 1
    if (count > 0) this.pending.set(address, count)
    else this.pending.delete(address)
  }
}
