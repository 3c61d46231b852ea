import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SignInRateLimiter } from './rate-limit.js'

describe('SignInRateLimiter', () => {
  it('admits perMinute attempts per address in a minute, other addresses unaffected, and starts over each minute', () => {
    let now = 0
    const limiter = new SignInRateLimiter(2, () => now)
    assert.deepEqual(
      [limiter.admit('192.0.2.1'), limiter.admit('192.0.2.1'), limiter.admit('192.0.2.1')],
      [true, true, false],
    )
    assert.equal(limiter.admit('192.0.2.2'), true)
    now = 60_000
    assert.equal(limiter.admit('192.0.2.1'), true)
  })

  it('remembers at most maxAddresses, starting the minute over past it', () => {
    const limiter = new SignInRateLimiter(1, () => 0, 2)
    assert.equal(limiter.admit('a'), true)
    assert.equal(limiter.admit('b'), true)
    assert.equal(limiter.admit('c'), true)
    assert.equal(limiter.admit('c'), false)
  })
})
