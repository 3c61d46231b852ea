import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { csvCell, toCsv, toJsonLines } from './export.js'
import { byAdmin, doing, entry } from './fixtures.js'

describe('exporting the audit log', () => {
  it('JSON lines: one entry per line, as the API answers it', () => {
    const entries = [entry(2), entry(1, byAdmin('root'))]
    const lines = toJsonLines(entries).split('\n')
    assert.equal(lines.pop(), '', 'ends with a newline')
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      entries,
    )
  })

  it('CSV: a header, then one CRLF row per entry with the object and detail spelled out', () => {
    const csv = toCsv([
      entry(
        1,
        byAdmin('root', 'acme'),
        doing('webspace.rollback', { kind: 'Webspace', namespace: 'sh-acme', name: 'shop' }),
        (e) => ({ ...e, detail: { release: 'r1' } }),
      ),
    ])
    assert.equal(
      csv,
      'time,id,actor,actor_email,admin,acting_as,action,kind,namespace,name,outcome,code,detail\r\n' +
        `2026-12-06T12:00:01.000Z,${entry(1).id},oidc:root,root@provider.test,true,acme,webspace.rollback,Webspace,sh-acme,shop,ok,,release=r1\r\n`,
    )
  })

  const cells: [string, string, string][] = [
    ['plain text', 'docs', 'docs'],
    ['a formula', '=HYPERLINK("http://evil.test")', `"'=HYPERLINK(""http://evil.test"")"`],
    ['a plus', '+1+cmd', "'+1+cmd"],
    ['a minus', '-2+3', "'-2+3"],
    ['an at sign', '@SUM(A1)', "'@SUM(A1)"],
    ['a leading tab', '\t=1', "'\t=1"],
    ['a leading carriage return', '\r=1', `"'\r=1"`],
    ['a comma', 'a,b', '"a,b"'],
    ['a line break', 'a\nb', '"a\nb"'],
    ['a quote', 'say "hi"', '"say ""hi"""'],
    ['a formula sign later on', 'a=b', 'a=b'],
  ]
  for (const [what, value, expected] of cells)
    it(`a CSV cell with ${what} cannot run as a formula nor break the row`, () =>
      assert.equal(csvCell(value), expected))

  it('an email that starts with a formula sign is defused in the file', () => {
    const csv = toCsv([entry(1, (e) => ({ ...e, actor: { ...e.actor, email: '=cmd|"/c calc"!A1@x.test' } }))])
    assert.match(csv, /,"'=cmd\|""\/c calc""!A1@x\.test",/)
  })
})
