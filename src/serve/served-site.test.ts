import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { normaliseHost, servedSite } from './served-site.js'

describe('normaliseHost', () => {
  const cases: [string, string, string][] = [
    ['lower-cases', 'WWW.Example.TEST', 'www.example.test'],
    ['drops the port', 'example.test:8080', 'example.test'],
    ['drops a trailing dot', 'example.test.', 'example.test'],
    ['keeps an IPv6 literal whole', '[::1]:8080', '[::1]'],
  ]
  for (const [name, host, expected] of cases) it(name, () => assert.equal(normaliseHost(host), expected))
})

describe('servedSite', () => {
  it('fills in the defaults: no prefix, /404.html, no SPA fallback, and lower-cases the domains', () => {
    assert.deepEqual(servedSite('ns--a', { domains: ['A-ns.Pages.test'] }), {
      key: 'ns--a',
      domains: ['a-ns.pages.test'],
      pathPrefix: '',
      headers: [],
      redirects: [],
      notFound: '/404.html',
      fallback: 'notFound',
    })
  })

  it('normalises the pathPrefix without its trailing slash, and the root prefix to none', () => {
    assert.equal(servedSite('k', { pathPrefix: '/blog/' }).pathPrefix, '/blog')
    assert.equal(servedSite('k', { pathPrefix: '/' }).pathPrefix, '')
  })
})
