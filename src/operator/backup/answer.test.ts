import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { emptiness, failureText, successAnswer } from './answer.js'

const files = { snapshot: 'a'.repeat(64), files: 3, bytes: 120, added: 400 }
const database = { snapshot: 'b'.repeat(64), tables: 2, rows: 10, added: 300, changing: [] }

describe("a backup Job's answer", () => {
  it('reads the last line of a successful Job as the restore point it took', () => {
    const message = `${JSON.stringify({ point: 'p1', files, database })}\n`
    assert.deepEqual(successAnswer(message, 'p1'), { ok: true, files, database })
  })

  it('trusts no answer that is not one: not JSON, another shape, another restore point', () => {
    assert.match(String((successAnswer('done', 'p1') as { message: string }).message), /not JSON/)
    assert.deepEqual(successAnswer(JSON.stringify({ point: 'p1', files: { files: -1 } }), 'p1'), {
      ok: false,
      message: 'the Job succeeded but its answer is not a backup answer',
    })
    assert.match(
      String((successAnswer(JSON.stringify({ point: 'p0', files }), 'p1') as { message: string }).message),
      /for restore point p0, not p1/,
    )
  })

  it("says the error of a failure answer, else a failure's last line, bounded", () => {
    assert.equal(
      failureText('{"error":"restic: wrong password or no key found (is --key the repository\'s?)"}\n'),
      "restic: wrong password or no key found (is --key the repository's?)",
    )
    assert.equal(
      failureText('restic: reading\nhostplane backup run: no key password\n\n'),
      'hostplane backup run: no key password',
    )
    assert.equal(failureText(undefined), 'no message (the container left none)')
    assert.equal(failureText('x'.repeat(5000)).length, 1025)
  })

  it('calls a restore point without a file or without a table empty', () => {
    assert.equal(emptiness({ files, database }), undefined)
    assert.match(emptiness({ files: { ...files, files: 0 } }) ?? '', /the volume holds no file/)
    assert.match(emptiness({ database: { ...database, tables: 0 } }) ?? '', /the database holds no table/)
  })
})
