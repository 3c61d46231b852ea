/**
 * When a site is checked next. Pure: the caller passes the interval, the failure count and a
 * random number, so the table tests pin every rule.
 *
 * - after a success: the site's `syncInterval`, ±10 % jitter so sites created together spread out;
 * - after a transient failure (network, timeout): exponential backoff from 5 s, capped at the
 *   interval, with jitter;
 * - after a failure only the site's owner can fix: the interval, no hot retry (a spec change
 *   triggers a sync at once anyway);
 * - a host busy with other sites: a short retry, without counting as a failure.
 */
import type { RetryKind } from './sync-error.js'

export const JITTER = 0.1
export const BACKOFF_BASE_MS = 5_000

export type LastOutcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'failure'; readonly retry: RetryKind; readonly consecutiveFailures: number }

/** `random` in [0, 1); 0.5 means no jitter. */
export function nextCheckDelay(intervalMs: number, outcome: LastOutcome, random: number): number {
  const jitter = (base: number) => Math.round(base * (1 + JITTER * (2 * random - 1)))
  if (outcome.kind === 'success' || outcome.retry === 'user') return jitter(intervalMs)
  const backoff = BACKOFF_BASE_MS * 2 ** Math.max(0, outcome.consecutiveFailures - 1)
  return jitter(Math.min(backoff, intervalMs))
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** A Go/Kubernetes duration (`30s`, `5m`, `1h30m`, `1.5h`) in milliseconds. */
export function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`${JSON.stringify(text)} is not a duration such as 30s, 5m or 1h30m`)
  return Math.round(
    parts.reduce((sum, [, value, unit]) => sum + Number(value) * (UNIT_MS[unit as string] ?? 0), 0),
  )
}
