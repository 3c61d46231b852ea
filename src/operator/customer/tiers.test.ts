import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SIZE_RESOURCES, TIER_QUOTAS } from './tiers.js'

/** Quantities the API server would store in another form: a whole number of cores in millicores, whole Gi in Mi. */
const rewritten = (value: string) =>
  /^(\d+)m$/.test(value)
    ? Number(value.slice(0, -1)) % 1000 === 0
    : /^(\d+)Mi$/.test(value)
      ? Number(value.slice(0, -2)) % 1024 === 0
      : false

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
    ]
    assert.deepEqual(quantities.filter(rewritten), [])
  })
})
