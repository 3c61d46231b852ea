import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FailureLimiter } from './failure-limiter.js'

describe('failed sign-ins per address', () => {
  const limiter = (perMinute: number) => {
    let now = 0
    return {
      limiter: new FailureLimiter({ perMinute, maxAddresses: 3 }, () => now),
      at: (ms: number) => {
        now = ms
      },
    }
  }

  it('lets an address try until it failed perMinute times in a minute, then until its oldest failure is a minute old', () => {
    const { limiter: l, at } = limiter(3)
    for (const ms of [0, 10_000, 20_000]) {
      at(ms)
      assert.equal(l.retryAfterMs('a'), 0)
      l.failed('a')
    }
    assert.equal(l.retryAfterMs('a'), 40_000)
    assert.equal(l.retryAfterMs('b'), 0, 'other addresses are not affected')
    at(60_000)
    assert.equal(l.retryAfterMs('a'), 0)
  })

  it('forgets addresses with no recent failure first when it holds too many', () => {
    const { limiter: l, at } = limiter(1)
    l.failed('old')
    at(70_000)
    for (const address of ['a', 'b', 'c']) l.failed(address)
    assert.equal(l.retryAfterMs('old'), 0)
    assert.ok(l.retryAfterMs('c') > 0)
  })
})
