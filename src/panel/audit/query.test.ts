import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { byAdmin, doing, ending, entry } from './fixtures.js'
import { auditPage, type AuditQuery, selectEntries } from './query.js'

const log = [
  entry(1),
  entry(2, byAdmin('root'), doing('sign-in', undefined)),
  entry(3, byAdmin('root'), doing('act-as.start', { kind: 'Customer', name: 'globex' })),
  entry(4, byAdmin('root', 'globex'), doing('staticsite.delete')),
  entry(5, ending('refused', 'HP_ERR_PANEL_NOT_FOUND')),
  entry(6, byAdmin('root'), doing('customer.update', { kind: 'Customer', name: 'acme' })),
]
const seconds = (entries: readonly { time: string }[]) => entries.map((e) => new Date(e.time).getUTCSeconds())

describe('searching the audit log', () => {
  const table: [string, AuditQuery, number[]][] = [
    ['no filter: every entry, newest first', {}, [6, 5, 4, 3, 2, 1]],
    ['an actor by id', { actor: 'oidc:root' }, [6, 4, 3, 2]],
    ['an actor by email', { actor: 'root@provider.test' }, [6, 4, 3, 2]],
    ['a customer: acting as it, or its Customer changed', { customer: 'acme' }, [6, 5, 1]],
    ['a customer an admin acted as', { customer: 'globex' }, [4, 3]],
    ['an action', { action: 'act-as.start' }, [3]],
    ['an outcome', { outcome: 'refused' }, [5]],
    [
      'since is inclusive, until exclusive',
      { since: '2026-12-06T12:00:02Z', until: '2026-12-06T12:00:04Z' },
      [3, 2],
    ],
    ['filters together', { actor: 'oidc:root', action: 'staticsite.delete' }, [4]],
    ['an actor nobody is', { actor: 'oidc:nobody' }, []],
  ]
  for (const [what, query, expected] of table)
    it(`selects by ${what}`, () => assert.deepEqual(seconds(selectEntries(log, query)), expected))

  it('pages by cursor without repeating or skipping, and the last page has no next', () => {
    const first = auditPage(log, { limit: 4 })
    assert.deepEqual(seconds(first.items), [6, 5, 4, 3])
    assert.ok(first.next)
    const second = auditPage(log, { limit: 4, cursor: first.next })
    assert.deepEqual(seconds(second.items), [2, 1])
    assert.equal(second.next, undefined)
  })

  it('an entry written after the first page does not shift the next one', () => {
    const first = auditPage(log, { limit: 3 })
    const grown = [...log, entry(7)]
    assert.deepEqual(seconds(auditPage(grown, { limit: 3, cursor: first.next }).items), [3, 2, 1])
  })
})
