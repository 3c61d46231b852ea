import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FailureStreak } from './failure-streak.js'
import { recordingLogger } from './log.js'

describe('FailureStreak', () => {
  it('logs ten failures in a row as one warning line without a stack trace, and the recovery as one info line', () => {
    const { lines, log } = recordingLogger()
    const streak = new FailureStreak(log, { lease: 'ha' })
    for (let i = 0; i < 10; i++) streak.failed(new Error('connect ECONNREFUSED'), 'could not renew the lease')
    assert.equal(streak.failing, true)
    streak.succeeded('renewing the lease works again')
    streak.succeeded('renewing the lease works again')
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.lease, l.error, l.failures]),
      [
        [40, 'could not renew the lease', 'ha', 'connect ECONNREFUSED', 1],
        [30, 'renewing the lease works again', 'ha', undefined, 10],
      ],
    )
    assert.ok(!JSON.stringify(lines).includes('stack'))
  })

  it('a failure after a recovery is logged again', () => {
    const { lines, log } = recordingLogger()
    const streak = new FailureStreak(log, {})
    streak.failed('first', 'failed')
    streak.succeeded('works')
    streak.failed('second', 'failed')
    assert.deepEqual(
      lines.map((l) => l.error ?? l.msg),
      ['first', 'works', 'second'],
    )
  })
})
