import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Refusal } from './refusal.js'
import { RefusalBackoff, type RefusalBackoffOptions } from './refusal-backoff.js'

const quota: Refusal = {
  reason: 'QuotaExceeded',
  object: 'PersistentVolumeClaim data',
  detail: 'exceeded quota requests.storage: requested 10Gi, used 0, limited 5Gi',
  resources: ['requests.storage'],
}

function backoff(options: Partial<RefusalBackoffOptions> = {}) {
  let now = 0
  const retries: number[] = []
  const subject = new RefusalBackoff({
    random: () => 0.5,
    now: () => now,
    retry: (_key, afterMs) => retries.push(afterMs),
    ...options,
  })
  return { subject, retries, advance: (ms: number) => (now += ms) }
}

describe('RefusalBackoff', () => {
  it('waits 5 s after the first refusal, doubling per refusal of the same inputs up to 5 minutes', () => {
    const { subject, retries } = backoff()
    for (let i = 0; i < 9; i++) subject.refused('ns/shop', 'gen-1', quota)
    assert.deepEqual(retries, [5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000])
  })

  it('varies each wait by at most 25 % either way, so objects refused together spread their retries', () => {
    const low = backoff({ random: () => 0 })
    const high = backoff({ random: () => 0.999_999 })
    low.subject.refused('ns/shop', 'gen-1', quota)
    high.subject.refused('ns/shop', 'gen-1', quota)
    assert.deepEqual([low.retries, high.retries], [[3750], [6250]])
  })

  it('holds the refusal until the wait is over, keeping the retry scheduled, then lets the write be tried', () => {
    const { subject, advance, retries } = backoff()
    subject.refused('ns/shop', 'gen-1', quota)
    assert.deepEqual(
      subject.holding('ns/shop', () => 'gen-1'),
      quota,
    )
    advance(4999)
    assert.deepEqual(
      subject.holding('ns/shop', () => 'gen-1'),
      quota,
      'a timer that fired 1 ms early',
    )
    assert.deepEqual(retries, [5000, 5000, 1])
    advance(1)
    assert.equal(
      subject.holding('ns/shop', () => 'gen-1'),
      undefined,
    )
  })

  it('tries at once when the inputs change (a new spec, a larger quota), and starts the waits again from 5 s', () => {
    const { subject, retries } = backoff()
    subject.refused('ns/shop', 'gen-1', quota)
    subject.refused('ns/shop', 'gen-1', quota)
    assert.equal(
      subject.holding('ns/shop', () => 'gen-2'),
      undefined,
    )
    subject.refused('ns/shop', 'gen-2', quota)
    assert.deepEqual(retries, [5000, 10_000, 5000])
  })

  it('forgets a key whose write went through, and keeps keys apart', () => {
    const { subject, retries } = backoff({ baseMs: 1000, maxMs: 4000 })
    subject.refused('ns/shop', 'gen-1', quota)
    subject.refused('ns/blog', 'gen-1', quota)
    subject.clear('ns/shop')
    assert.equal(
      subject.holding('ns/shop', () => 'gen-1'),
      undefined,
    )
    assert.deepEqual(
      subject.holding('ns/blog', () => 'gen-1'),
      quota,
    )
    subject.refused('ns/shop', 'gen-1', quota)
    assert.deepEqual(retries, [1000, 1000, 1000, 1000], 'shop, blog, blog still held, shop anew')
  })
})
