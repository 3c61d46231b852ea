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
})
