/**
 * When a domain needs its next ACME order. Pure: the caller passes the clock, the failure count and
 * a random number, so the table tests pin every rule.
 *
 * - no certificate yet: now;
 * - a certificate: when `renewBefore` of its lifetime remains (a third by default, as Let's
 *   Encrypt recommends), counted from notBefore and notAfter so a CA's shorter lifetimes renew
 *   proportionally earlier;
 * - after a failed order: exponential backoff from `initialMs`, capped at `maxMs`, ±10 % jitter
 *   so domains that failed together do not retry together. Let's Encrypt allows 5 failed
 *   validations per domain and hour; the default 5 min start stays below that.
 */

export interface Lifetime {
  /** Milliseconds since the epoch. */
  readonly notBefore: number
  readonly notAfter: number
}

export interface Backoff {
  readonly initialMs: number
  readonly maxMs: number
}

export const DEFAULT_RENEW_BEFORE = 1 / 3
export const DEFAULT_BACKOFF: Backoff = { initialMs: 5 * 60_000, maxMs: 12 * 3_600_000 }
const JITTER = 0.1

/** The time to renew a certificate: when `renewBefore` (a fraction) of its lifetime is left. */
export function renewalTime({ notBefore, notAfter }: Lifetime, renewBefore = DEFAULT_RENEW_BEFORE): number {
  return Math.round(notAfter - (notAfter - notBefore) * renewBefore)
}

export interface OrderState {
  readonly certificate?: Lifetime
  /** Set after a failed order: no new order before this time. */
  readonly retryAt?: number
}

/** When to place the next order for a domain (at or before `now` means now). */
export function nextOrderTime(state: OrderState, renewBefore = DEFAULT_RENEW_BEFORE): number {
  const due = state.certificate ? renewalTime(state.certificate, renewBefore) : 0
  return Math.max(due, state.retryAt ?? 0)
}

/** Wait after `failures` consecutive failed orders; `random` in [0, 1), 0.5 means no jitter. */
export function retryDelay(failures: number, random: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, failures - 1))
  return Math.round(delay * (1 + JITTER * (2 * random - 1)))
}
