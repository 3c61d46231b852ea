import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ClaimIndex } from './claim-index.js'
import type { Claim } from './domain-claims.js'

const claim = (namespace: string, name: string, ...domains: string[]): Claim => ({
  namespace,
  name,
  creationTimestamp: '2026-01-01T00:00:00Z',
  domains,
  pathPrefix: '/',
})

describe('ClaimIndex', () => {
  it('returns the sites sharing a domain when a claim appears, changes or disappears, and nothing when it is unchanged', () => {
    const index = new ClaimIndex()
    assert.deepEqual(index.set('a/one', claim('a', 'one', 'x.test')), [])
    assert.deepEqual(index.set('b/two', claim('b', 'two', 'x.test', 'y.test')), ['a/one'])
    assert.deepEqual(index.set('b/two', claim('b', 'two', 'x.test', 'y.test')), [], 'unchanged')
    assert.deepEqual(index.set('c/three', claim('c', 'three', 'y.test')), ['b/two'])
    assert.deepEqual(index.set('a/one', undefined).sort(), ['b/two'])
    assert.deepEqual(
      index.set('b/two', claim('b', 'two', 'z.test')),
      ['c/three'],
      'losers of the old domains',
    )
  })

  it('gives the rivals of a claim: other sites with at least one of its domains', () => {
    const index = new ClaimIndex()
    index.set('a/one', claim('a', 'one', 'x.test'))
    index.set('b/two', claim('b', 'two', 'y.test'))
    index.set('c/three', claim('c', 'three', 'x.test', 'y.test'))
    const rivals = index.rivals(claim('c', 'three', 'x.test', 'y.test')).map((c) => c.name)
    assert.deepEqual(rivals.sort(), ['one', 'two'])
  })
})
