import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AddressLimiter } from './address-limiter.js'

describe('AddressLimiter', () => {
  it('admits at most perMinute new connections from one address in any minute, others unaffected', () => {
    let now = 0
    const limiter = new AddressLimiter({ perMinute: 3, unauthenticated: 100 }, () => now)
    const admitted = () => {
      const ok = limiter.admit('192.0.2.1')
      if (ok) limiter.settled('192.0.2.1')
      return ok
    }
    assert.deepEqual([admitted(), admitted(), admitted(), admitted()], [true, true, true, false])
    assert.equal(limiter.admit('192.0.2.2'), true)
    now = 59_999
    assert.equal(admitted(), false)
    now = 60_000
    assert.equal(admitted(), true)
  })

  it('admits at most `unauthenticated` connections at once that have not settled', () => {
    const limiter = new AddressLimiter({ perMinute: 100, unauthenticated: 2 }, () => 0)
    assert.deepEqual([limiter.admit('a'), limiter.admit('a'), limiter.admit('a')], [true, true, false])
    limiter.settled('a')
    assert.equal(limiter.admit('a'), true)
  })
})
