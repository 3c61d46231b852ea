import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ClaimIndex } from './claim-index.js'
import type { Claim, ClaimKind } from '../../domains/claims.js'

const claim = (kind: ClaimKind, namespace: string, name: string, ...domains: string[]): Claim => ({
  kind,
  namespace,
  name,
  claimedAt: Date.parse('2026-01-01T00:00:00Z'),
  domains,
  pathPrefix: '/',
})

/** An index whose requeues are collected as `Kind ns/name`, drained by `requeued()`. */
function index(kinds?: ClaimKind[]) {
  const claims = new ClaimIndex(kinds)
  const seen: string[] = []
  claims.subscribe('StaticSite', (key) => seen.push(`StaticSite ${key}`))
  claims.subscribe('Webspace', (key) => seen.push(`Webspace ${key}`))
  return { claims, requeued: () => seen.splice(0).sort() }
}

describe('ClaimIndex', () => {
  it('requeues the claimants sharing a domain when a claim appears, changes or disappears, and nobody when it is unchanged', () => {
    const { claims, requeued } = index()
    const one = claim('StaticSite', 'a', 'one', 'x.test')
    const two = claim('StaticSite', 'b', 'two', 'x.test', 'y.test')
    claims.set(one, one)
    assert.deepEqual(requeued(), [])
    claims.set(two, two)
    assert.deepEqual(requeued(), ['StaticSite a/one'])
    claims.set(two, two)
    assert.deepEqual(requeued(), [], 'unchanged')
    const three = claim('StaticSite', 'c', 'three', 'y.test')
    claims.set(three, three)
    assert.deepEqual(requeued(), ['StaticSite b/two'])
    claims.set(one, undefined)
    assert.deepEqual(requeued(), ['StaticSite b/two'])
    claims.set(two, claim('StaticSite', 'b', 'two', 'z.test'))
    assert.deepEqual(requeued(), ['StaticSite c/three'], 'losers of the old domains')
  })

  it('requeues across kinds: a webspace’s claim requeues the sites on its domain, and its removal hands the domain back', () => {
    const { claims, requeued } = index()
    const site = claim('StaticSite', 'a', 'blog', 'x.test')
    const webspace = claim('Webspace', 'b', 'shop', 'x.test')
    claims.set(site, site)
    claims.set(webspace, webspace)
    assert.deepEqual(requeued(), ['StaticSite a/blog'])
    claims.set(site, undefined)
    assert.deepEqual(requeued(), ['Webspace b/shop'])
  })

  it('claims objects anew when what their claims depend on changed, handing a domain their customer lost to its rival', () => {
    const { claims, requeued } = index()
    let allowed = true
    const site = { apiVersion: 'v1', kind: 'StaticSite', metadata: { name: 'old', namespace: 'a' } }
    const claimOf = () => (allowed ? claim('StaticSite', 'a', 'old', 'x.test') : undefined)
    claims.reclaim('StaticSite', [site], claimOf)
    const rival = claim('Webspace', 'b', 'new', 'x.test')
    claims.set(rival, rival)
    requeued()
    allowed = false
    claims.reclaim('StaticSite', [site], claimOf)
    assert.deepEqual(requeued(), ['Webspace b/new'])
    assert.deepEqual(claims.rivals(rival), [])
  })

  it('requeues the other claimants of a namespace when its domains change, and lists its claims for the domain limit', () => {
    const { claims, requeued } = index()
    const site = claim('StaticSite', 'a', 'blog', 'x.test')
    const webspace = claim('Webspace', 'a', 'shop', 'y.test')
    claims.set(site, site)
    claims.set(webspace, webspace)
    assert.deepEqual(requeued(), ['StaticSite a/blog'])
    assert.deepEqual(claims.inNamespace('a'), [site, webspace])
    claims.set(site, undefined)
    assert.deepEqual(requeued(), ['Webspace a/shop'], 'a freed domain may let a refused claimant fit')
    assert.deepEqual(claims.inNamespace('a'), [webspace])
    assert.deepEqual(claims.inNamespace('b'), [])
  })

  it('keeps a site and a webspace of the same namespace and name apart', () => {
    const { claims } = index()
    const site = claim('StaticSite', 'a', 'same', 'x.test')
    const webspace = claim('Webspace', 'a', 'same', 'x.test')
    claims.set(site, site)
    claims.set(webspace, webspace)
    assert.deepEqual(
      claims.rivals(site).map((c) => c.kind),
      ['Webspace'],
    )
  })

  it('gives the rivals of a claim: other claimants with at least one of its domains', () => {
    const { claims } = index()
    const all = [
      claim('StaticSite', 'a', 'one', 'x.test'),
      claim('Webspace', 'b', 'two', 'y.test'),
      claim('StaticSite', 'c', 'three', 'x.test', 'y.test'),
    ]
    for (const c of all) claims.set(c, c)
    const rivals = claims.rivals(claim('StaticSite', 'c', 'three', 'x.test', 'y.test')).map((c) => c.name)
    assert.deepEqual(rivals.sort(), ['one', 'two'])
  })

  it('is synced once every kind reported its claims, or when the waiting controller stops', async () => {
    const { claims } = index()
    let synced = false
    void claims.loaded('StaticSite', new AbortController().signal).then(() => (synced = true))
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(synced, false, 'webspace claims are not loaded yet')
    await claims.loaded('Webspace', new AbortController().signal)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(synced, true)

    const stopping = new AbortController()
    const waiting = index().claims.loaded('StaticSite', stopping.signal)
    stopping.abort()
    await waiting
  })
})
