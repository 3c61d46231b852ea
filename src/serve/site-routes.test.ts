import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { servedSite } from './served-site.js'
import { SiteRoutes } from './site-routes.js'

const whole = servedSite('ns--whole', { domains: ['example.test', 'www.example.test'] })
const docs = servedSite('ns--docs', { domains: ['example.test'], pathPrefix: '/docs' })
const api = servedSite('ns--api', { domains: ['example.test'], pathPrefix: '/docs/api/' })
const routes = SiteRoutes.build([whole, docs, api])

describe('SiteRoutes', () => {
  const cases: [string, string, string[], string | undefined, boolean?][] = [
    ['the whole domain takes paths no prefix claims', 'example.test', ['about'], 'ns--whole'],
    ['the longest matching prefix wins', 'example.test', ['docs', 'api', 'x'], 'ns--api'],
    ['a shorter prefix takes the rest below it', 'example.test', ['docs', 'intro'], 'ns--docs'],
    ['a prefix matches whole segments only', 'example.test', ['docsify'], 'ns--whole'],
    ['an unknown host matches nothing', 'other.test', [], undefined],
    ['a secondary domain matches, marked non-canonical', 'www.example.test', [], 'ns--whole', false],
  ]
  for (const [name, host, segments, key, canonical = true] of cases)
    it(name, () => {
      const route = routes.match(host, segments)
      assert.equal(route?.site.key, key)
      if (route) assert.equal(route.canonical, canonical)
    })

  it('keeps the first claim of a domain and prefix and reports the later one', () => {
    const later = servedSite('other--docs', { domains: ['example.test'], pathPrefix: '/docs/' })
    const built = SiteRoutes.build([docs, later])
    assert.equal(built.match('example.test', ['docs'])?.site.key, 'ns--docs')
    assert.deepEqual(built.conflicts, [
      { site: 'other--docs', domain: 'example.test', pathPrefix: '/docs', heldBy: 'ns--docs' },
    ])
  })

  it('does not route a later site on any domain when one of them is taken, so it cannot redirect to the other site', () => {
    const copycat = servedSite('other--copycat', { domains: ['own.test', 'example.test'] })
    const built = SiteRoutes.build([whole, copycat])
    assert.equal(built.match('own.test', []), undefined)
    assert.equal(built.match('example.test', [])?.site.key, 'ns--whole')
    assert.deepEqual(built.conflicts, [
      { site: 'other--copycat', domain: 'example.test', pathPrefix: '', heldBy: 'ns--whole' },
    ])
  })
})
