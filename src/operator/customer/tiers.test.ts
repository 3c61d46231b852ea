import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { countQuantity, objectCountQuota, SIZE_RESOURCES, TIER_OBJECT_LIMITS, TIER_QUOTAS } from './tiers.js'

/**
 * Quantities the API server would store in another form: a whole number of cores in millicores,
 * whole Gi in Mi, whole thousands without their suffix (`1000` is stored as `1k`).
 */
const rewritten = (value: string) =>
  /^\d+m$/.test(value)
    ? Number(value.slice(0, -1)) % 1000 === 0
    : /^\d+Mi$/.test(value)
      ? Number(value.slice(0, -2)) % 1024 === 0
      : /^\d+$/.test(value) && Number(value) >= 1000 && Number(value) % 1000 === 0

describe('the tier tables', () => {
  it('hold every quantity in the form the API server stores, so what the operator applies is what it reads back', () => {
    const quantities = [
      ...Object.values(SIZE_RESOURCES).flatMap((r) => [
        ...Object.values(r.requests),
        ...Object.values(r.limits),
      ]),
      ...Object.values(TIER_QUOTAS).flatMap((sizes) =>
        Object.values(sizes).flatMap((quota) => Object.values(quota)),
      ),
      ...Object.values(TIER_OBJECT_LIMITS).flatMap((sizes) =>
        Object.values(sizes).flatMap((limits) => Object.values(objectCountQuota(limits))),
      ),
    ]
    assert.deepEqual(quantities.filter(rewritten), [])
  })

  it('writes counts with the decimal suffix the API server uses', () => {
    assert.deepEqual([999, 1000, 1500, 2000, 1_000_000].map(countQuantity), ['999', '1k', '1500', '2k', '1M'])
  })
})
