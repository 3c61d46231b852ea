import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fittedAnswer, TERMINATION_MESSAGE_BYTES } from './backup-answer.js'

describe("a backup command's answer fitted to a termination message", () => {
  it('leaves a small answer as it is, one JSON line', () => {
    const answer = { point: 'p1', verified: true, problems: [], time: new Date('2026-12-07T03:00:00Z') }
    assert.equal(fittedAnswer(answer), `${JSON.stringify(answer)}\n`)
  })

  it('cuts long lists and says how many it left out, wherever they are', () => {
    const problems = Array.from({ length: 5000 }, (_, i) => `file uploads/${i}.jpg: missing`)
    const changing = Array.from({ length: 400 }, (_, i) => `table_${i}`)
    const line = fittedAnswer({ point: 'p1', verified: false, problems, database: { tables: 400, changing } })
    assert.ok(Buffer.byteLength(line) <= TERMINATION_MESSAGE_BYTES)
    assert.ok(line.endsWith('}\n'))
    const fitted = JSON.parse(line) as {
      problems: string[]
      problemsNotShown: number
      database: { tables: number; changing: string[]; changingNotShown: number }
    }
    assert.equal(fitted.problems[0], 'file uploads/0.jpg: missing')
    assert.equal(fitted.problems.length + fitted.problemsNotShown, 5000)
    assert.equal(fitted.database.tables, 400)
    assert.equal(fitted.database.changing.length + fitted.database.changingNotShown, 400)
  })

  it('ends very long texts with …, so a few huge problems still fit', () => {
    const line = fittedAnswer({ problems: Array.from({ length: 40 }, () => 'x'.repeat(10_000)) })
    assert.ok(Buffer.byteLength(line) <= TERMINATION_MESSAGE_BYTES)
    const fitted = JSON.parse(line) as { problems: string[] }
    assert.ok(fitted.problems.length > 0)
    assert.ok(fitted.problems.every((problem) => problem.endsWith('…') && problem.length <= 301))
  })
})
