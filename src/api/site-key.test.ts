import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { keyOfPartName, MAX_SITE_KEY, nginxPrefix, partName, siteKey, SPA_SEGMENT } from './site-key.js'

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

describe('partName', () => {
  const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
  // Sites whose names look like other sites' keys plus a part, in the same and other namespaces.
  const sites: [string, string][] = [
    ['team-a', 'x'],
    ['team-a', 'x-http'],
    ['team-a', 'x-prefix'],
    ['team-a', 'x-tls'],
    ['team-a', 'http.x'],
    ['team-a', 'http.team-a--x'],
    ['team-a', 'x.http'],
    ['team-a', 'route'],
    ['team', 'a--x'],
    ['team', 'a-x'],
    ['team-a--x', 'http'],
    ['a--b', 'c'],
    ['n'.repeat(63), 'm'.repeat(253)],
    ['ns', `${'a.'.repeat(126)}a`],
  ]
  const parts = [
    'route',
    'http',
    'prefix',
    'canonical',
    'not-found',
    'redirect-0',
    'redirect-10',
    'headers-1',
  ]

  it('is <part>-<16 hex of sha256(site key)>.<site key>', () => {
    assert.equal(partName(siteKey('team-a', 'blog'), 'http'), 'http-47ff5c5af54e3cd8.team-a--blog')
    assert.equal(
      partName(siteKey('team-a', 'blog'), 'redirect-0'),
      'redirect-0-47ff5c5af54e3cd8.team-a--blog',
    )
  })

  it('never gives two sites, or two parts, the same name, and never a name that is a site key', () => {
    const keys = sites.map(([ns, name]) => siteKey(ns, name))
    const names = keys.flatMap((key) => parts.map((part) => partName(key, part)))
    assert.equal(new Set([...keys, ...names]).size, keys.length + names.length)
  })

  it('tells the site key back from every name it makes, and from no site key', () => {
    for (const [ns, name] of sites) {
      const key = siteKey(ns, name)
      assert.equal(keyOfPartName(key), undefined, key)
      for (const part of parts) assert.equal(keyOfPartName(partName(key, part)), key)
    }
  })

  it("names nothing for names of other shapes: older operators' <key>-<part>, <part>.<key>, a wrong tag", () => {
    for (const name of [
      'team-a--x-http',
      'team-a--www.x.test-prefix',
      'http.team-a--x',
      `http-${'0'.repeat(16)}.team-a--x`,
      partName('team-a--x', 'http').replace('team-a--x', 'team-a--y'),
      'http.x',
      'Http.a--b',
      'a--b.c--d',
      '.a--b',
      'http.a.b--c',
    ])
      assert.equal(keyOfPartName(name), undefined, name)
  })

  it('is a valid object name of at most 253 characters for the longest site key and part', () => {
    const name = partName(siteKey('n'.repeat(63), 'm'.repeat(253)), 'redirect-99')
    assert.ok(name.length <= 253)
    assert.match(name, OBJECT_NAME)
  })

  it('refuses a part that would make names ambiguous', () => {
    for (const part of ['', 'a.b', 'a--b', '-a', 'a-', 'Http', '0x'])
      assert.throws(() => partName('a--b', part), part)
  })
})

describe('nginxPrefix', () => {
  it('is /<site key>, and /_spa/<site key> for a site with the SPA fallback', () => {
    assert.equal(nginxPrefix('team-a--blog'), '/team-a--blog')
    assert.equal(nginxPrefix('team-a--blog', 'notFound'), '/team-a--blog')
    assert.equal(nginxPrefix('team-a--app', 'index'), '/_spa/team-a--app')
  })
})
