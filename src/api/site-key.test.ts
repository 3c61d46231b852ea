import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_SITE_KEY, nginxPrefix, siteKey, SPA_SEGMENT } from './site-key.js'

const LABEL_VALUE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

describe('siteKey', () => {
  it('is <namespace>--<name> when that is short and unambiguous', () => {
    assert.equal(siteKey('team-a', 'blog'), 'team-a--blog')
    assert.equal(siteKey('sh-acme', 'www.acme.example'), 'sh-acme--www.acme.example')
  })

  it('is the same on every call (stable across restarts)', () => {
    assert.equal(siteKey('a--b', 'c'), siteKey('a--b', 'c'))
    assert.equal(siteKey('a--b', 'c'), 'a--b--c--b78899b86a55')
  })

  it('never gives two sites the same key, even when the readable forms would collide', () => {
    const pairs: [string, string][] = [
      ['a--b', 'c'],
      ['a', 'b--c'],
      ['a', 'b'],
      ['a-b', 'c'],
      ['a', 'b-c'],
      ['x'.repeat(40), 'y'.repeat(30)],
      ['x'.repeat(40), `${'y'.repeat(30)}z`],
      ['ns', 'a'.repeat(253)],
      ['ns', `${'a'.repeat(252)}b`],
    ]
    const keys = pairs.map(([ns, name]) => siteKey(ns, name))
    assert.equal(new Set(keys).size, keys.length, keys.join('\n'))
  })

  it('cannot be forged: a name crafted to equal a hashed key of another namespace stays readable and different', () => {
    const victim = siteKey('a--b', 'c')
    const crafted = victim.slice('a--'.length)
    assert.notEqual(siteKey('a', crafted), victim)
  })

  it('fits a label value and an object name for the longest namespace and name', () => {
    for (const [ns, name] of [
      ['n'.repeat(63), 'm'.repeat(253)],
      ['ns', `${'a.'.repeat(126)}a`],
    ] as const) {
      const key = siteKey(ns, name)
      assert.ok(key.length <= MAX_SITE_KEY, `${key} is ${key.length} characters`)
      assert.match(key, LABEL_VALUE)
    }
  })

  it('is never the reserved segment _spa, whatever the namespace and name', () => {
    for (const [ns, name] of [
      ['_spa', ''],
      ['', '_spa'],
      ['_', 'spa'],
      ['_spa', '_spa'],
      ['x'.repeat(70), '_spa'],
    ] as const)
      assert.notEqual(siteKey(ns, name), SPA_SEGMENT)
  })
})

describe('nginxPrefix', () => {
  it('is /<site key>, and /_spa/<site key> for a site with the SPA fallback', () => {
    assert.equal(nginxPrefix('team-a--blog'), '/team-a--blog')
    assert.equal(nginxPrefix('team-a--blog', 'notFound'), '/team-a--blog')
    assert.equal(nginxPrefix('team-a--app', 'index'), '/_spa/team-a--app')
  })
})
