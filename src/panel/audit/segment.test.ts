import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { kubernetesIdentity } from '../identity.js'
import { actorView } from '../views.js'
import { byAdmin, doing, ending, entry } from './fixtures.js'
import { decodeSegments, encodeLines, segmentName, segmentNumber } from './segment.js'

const attempt = (e: ReturnType<typeof entry>) => ({ attempt: { ...e, outcome: 'unknown' as const } })

describe('audit log segments', () => {
  it('names segments by a 10-digit number that sorts as it counts, and reads only such names back', () => {
    assert.equal(segmentName(1), 'audit-0000000001')
    assert.equal(segmentName(42), 'audit-0000000042')
    assert.ok(segmentName(9) < segmentName(10))
    assert.equal(segmentNumber('audit-0000000042'), 42)
    for (const other of ['audit-42', 'audit-00000000042', 'kube-root-ca.crt', 'audit-000000004x'])
      assert.equal(segmentNumber(other), undefined, other)
    assert.throws(() => segmentName(0), /no audit segment number 0/)
  })

  it('an attempt and its outcome read back as one entry with the outcome, even across segments', () => {
    const made = entry(1)
    const refused = entry(2, ending('refused', 'HP_ERR_PANEL_INVALID'))
    const first = encodeLines([attempt(made), attempt(refused)])
    const second = encodeLines([
      { outcome: { id: made.id, outcome: 'ok' } },
      { outcome: { id: refused.id, outcome: 'refused', code: 'HP_ERR_PANEL_INVALID' } },
    ])
    assert.deepEqual(decodeSegments([first, second]), { entries: [made, refused], malformed: 0 })
  })

  it('an attempt without an outcome reads as unknown; an outcome whose attempt was dropped is ignored', () => {
    const pending = entry(1)
    const text = encodeLines([attempt(pending), { outcome: { id: entry(0).id, outcome: 'ok' } }])
    assert.deepEqual(decodeSegments([text]).entries, [{ ...pending, outcome: 'unknown' }])
  })

  it('an outcome that names the object the change made (a token id) completes the object', () => {
    const made = entry(1, doing('token.create', { kind: 'ApiToken' }))
    const text = encodeLines([
      attempt(made),
      { outcome: { id: made.id, outcome: 'ok', name: '0123456789abcdef' } },
    ])
    assert.deepEqual(decodeSegments([text]).entries[0]?.object, {
      kind: 'ApiToken',
      name: '0123456789abcdef',
    })
  })

  it('reads back a token made with hostplane panel-token, its actor the kubeconfig’s user', () => {
    const actor = { ...actorView(kubernetesIdentity('kubernetes-admin', 'acme').actor) }
    const made = { ...entry(1, doing('token.create', { kind: 'ApiToken' })), actor }
    assert.deepEqual(decodeSegments([encodeLines([{ attempt: made }])]), { entries: [made], malformed: 0 })
    assert.deepEqual(actor, { id: 'kubernetes:kubernetes-admin', method: 'kubernetes', admin: true })
  })

  it('skips and counts lines that are not JSON or not an entry, and keeps the rest, oldest first', () => {
    const kept = [entry(3, byAdmin('root', 'acme')), entry(1)]
    const text = [
      '{"attempt":',
      JSON.stringify({ attempt: { ...entry(2), action: 'format-disk' } }),
      JSON.stringify({ outcome: { id: 'not-an-id', outcome: 'ok' } }),
      JSON.stringify({ something: 'else' }),
      '',
      encodeLines(kept.map((e) => ({ attempt: e }))),
    ].join('\n')
    assert.deepEqual(decodeSegments([text]), { entries: [kept[1], kept[0]], malformed: 4 })
  })
})
