import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { nextOrderTime, type OrderState, renewalTime, retryDelay } from './order-schedule.js'

const DAY = 86_400_000
const ninetyDays = { notBefore: 0, notAfter: 90 * DAY }

describe('renewalTime', () => {
  it('renews a 90-day certificate when 30 days are left', () =>
    assert.equal(renewalTime(ninetyDays), 60 * DAY))
  it('renews a 6-day certificate when 2 days are left', () =>
    assert.equal(renewalTime({ notBefore: 10 * DAY, notAfter: 16 * DAY }), 14 * DAY))
  it('renews when the configured fraction of the lifetime is left', () =>
    assert.equal(renewalTime(ninetyDays, 0.5), 45 * DAY))
})

describe('nextOrderTime', () => {
  const cases: [string, OrderState, number][] = [
    ['orders at once for a domain without a certificate', {}, 0],
    ['waits for the renewal time of a stored certificate', { certificate: ninetyDays }, 60 * DAY],
    ['waits out the backoff of a domain without a certificate', { retryAt: 5000 }, 5000],
    [
      'retries a failed renewal after its backoff, not at the renewal time again',
      { certificate: ninetyDays, retryAt: 61 * DAY },
      61 * DAY,
    ],
  ]
  for (const [name, state, expected] of cases) it(name, () => assert.equal(nextOrderTime(state), expected))
})

describe('retryDelay', () => {
  const backoff = { initialMs: 1000, maxMs: 60_000 }
  const cases: [string, number, number, number][] = [
    ['waits the initial delay after a first failure', 1, 0.5, 1000],
    ['doubles the delay with each further failure', 4, 0.5, 8000],
    ['never waits longer than the maximum', 30, 0.5, 60_000],
    ['spreads retries by at most 10 % earlier', 1, 0, 900],
    ['spreads retries by at most 10 % later', 1, 0.9999999, 1100],
  ]
  for (const [name, failures, random, expected] of cases)
    it(name, () => assert.equal(retryDelay(failures, random, backoff), expected))
  it('starts at 5 minutes by default, below the 5 failed validations per hour Let’s Encrypt allows', () =>
    assert.equal(retryDelay(1, 0.5), 300_000))
})
