/**
 * How large one push may be (git's receive.maxInputSize: the pack a client sends), by the
 * customer's tier and size, like the quotas of src/operator/customer/tiers.ts. A push over it
 * is refused by git before anything is stored. `--max-push-size` can lower every entry (a small
 * repository volume).
 */
import type { Size, Tier } from '../api/customer.js'

const MiB = 1024 * 1024

export const PUSH_LIMITS: Readonly<Record<Tier, Partial<Record<Size, number>>>> = {
  shared: { small: 100 * MiB, medium: 250 * MiB, large: 500 * MiB },
  dedicated: { large: 1024 * MiB, xlarge: 2048 * MiB },
}

/** The smallest entry: for a size a tier does not offer (the CRD refuses it; never more than the least). */
const SMALLEST = Math.min(...Object.values(PUSH_LIMITS).flatMap((sizes) => Object.values(sizes)))

export function maxPushBytes(tier: Tier, size: Size, cap?: number): number {
  const limit = PUSH_LIMITS[tier][size] ?? SMALLEST
  return cap === undefined ? limit : Math.min(limit, cap)
}
