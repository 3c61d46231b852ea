import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Claim } from '../domains/claims.js'
import { domainLimitExceeded } from './domain-limit.js'

const claim = (
  name: string,
  claimedAt: number,
  domains: string[],
  kind: Claim['kind'] = 'StaticSite',
): Claim => ({
  kind,
  namespace: 'sh-acme',
  name,
  claimedAt,
  domains,
  pathPrefix: '/',
})

describe('domainLimitExceeded', () => {
  const old = claim('old', 1, ['a.example', 'b.example'])
  const middle = claim('middle', 2, ['c.example', 'd.example'], 'Webspace')

  it('lets a claim through while the namespace stays within the limit', () => {
    assert.equal(domainLimitExceeded(middle, [old], 4), undefined)
  })

  it('refuses the newest claim that would go over, naming the limit, the count and its domains', () => {
    assert.equal(
      domainLimitExceeded(middle, [old], 3),
      "the customer's StaticSites and Webspaces may use 3 domains and older ones use 2; this Webspace adds 2 (c.example, d.example): remove domains from it or from other sites, or move the customer to a larger size",
    )
  })

  it('never refuses an older claim because of a newer one', () => {
    assert.equal(domainLimitExceeded(old, [middle], 3), undefined)
  })

  it('does not count a refused claim, so a later claim that fits is served', () => {
    const later = claim('later', 3, ['e.example'])
    assert.equal(domainLimitExceeded(later, [old, middle], 3), undefined)
  })

  it('counts a domain shared with an older claim (another path prefix) once', () => {
    const docs = { ...claim('docs', 2, ['a.example']), pathPrefix: '/docs' }
    assert.equal(domainLimitExceeded(docs, [old], 2), undefined)
  })

  it('breaks ties of creation time by namespace/name, as the domain claim rule does', () => {
    const a = claim('a', 5, ['x.example'])
    const b = claim('b', 5, ['y.example'])
    assert.equal(domainLimitExceeded(a, [b], 1), undefined)
    assert.match(domainLimitExceeded(b, [a], 1) ?? '', /may use 1 domains and older ones use 1/)
  })
})
