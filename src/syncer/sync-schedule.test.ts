import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type LastOutcome, nextCheckDelay, parseDuration } from './sync-schedule.js'

const FIVE_MIN = 300_000

describe('nextCheckDelay', () => {
  const cases: [string, number, LastOutcome, number, number][] = [
    [
      'waits the interval after a success when the jitter is neutral',
      FIVE_MIN,
      { kind: 'success' },
      0.5,
      FIVE_MIN,
    ],
    ['spreads successes by at most 10 % earlier', FIVE_MIN, { kind: 'success' }, 0, 270_000],
    ['spreads successes by at most 10 % later', FIVE_MIN, { kind: 'success' }, 0.9999999, 330_000],
    [
      'retries a first transient failure after 5 s',
      FIVE_MIN,
      { kind: 'failure', retry: 'transient', consecutiveFailures: 1 },
      0.5,
      5_000,
    ],
    [
      'doubles the backoff with every further transient failure',
      FIVE_MIN,
      { kind: 'failure', retry: 'transient', consecutiveFailures: 4 },
      0.5,
      40_000,
    ],
    [
      'never backs off longer than the interval',
      60_000,
      { kind: 'failure', retry: 'transient', consecutiveFailures: 20 },
      0.5,
      60_000,
    ],
    [
      'does not retry hot when the owner must fix something',
      FIVE_MIN,
      { kind: 'failure', retry: 'user', consecutiveFailures: 1 },
      0.5,
      FIVE_MIN,
    ],
  ]
  for (const [name, interval, outcome, random, expected] of cases)
    it(name, () => assert.equal(nextCheckDelay(interval, outcome, random), expected))
})

describe('parseDuration', () => {
  const cases: [string, number][] = [
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
  ]
  for (const [text, ms] of cases) it(`reads ${text} as ${ms} ms`, () => assert.equal(parseDuration(text), ms))

  for (const bad of ['', '5', '5 m', 'm5', '-5m', '5d'])
    it(`refuses ${JSON.stringify(bad)} with a message`, () =>
      assert.throws(() => parseDuration(bad), /not a duration/))
})
