import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StaticSiteSpec } from '../../api/staticsite.js'
import { siteFormValues, siteSpec } from './site-form.js'

const base: StaticSiteSpec = {
  repo: 'https://git.example.com/a.git',
  ref: 'main',
  path: '/',
  syncInterval: '5m',
  tls: { mode: 'auto', clusterIssuer: 'letsencrypt' },
  domains: ['a.example'],
  pathPrefix: '/docs',
  headers: [{ path: '/', set: { 'x-a': 'b' } }],
  secretRef: { name: 'git' },
}

describe('the StaticSite form and its spec', () => {
  it('a new site takes the API defaults for what is left empty, and no domains or prefix', () => {
    assert.deepEqual(siteSpec({ name: 'a', repo: ' https://git.example.com/a.git ', domains: '\n' }), {
      repo: 'https://git.example.com/a.git',
      ref: 'main',
      path: '/',
      syncInterval: '5m',
      tls: { mode: 'auto' },
      fallback: 'notFound',
    })
  })

  it('an edit keeps what the form does not show, and TLS settings while the mode stays', () => {
    const spec = siteSpec({ ...siteFormValues({ name: 'a', spec: base }), path: '/public' }, base)
    assert.deepEqual(spec, { ...base, path: '/public', fallback: 'notFound' })
  })

  it('an edit clears domains and the prefix when their fields are emptied, and a new TLS mode drops the old settings', () => {
    const spec = siteSpec(
      { ...siteFormValues({ name: 'a', spec: base }), domains: '', pathPrefix: '', tls: 'none' },
      base,
    )
    assert.equal(spec.domains, undefined)
    assert.equal(spec.pathPrefix, undefined)
    assert.deepEqual(spec.tls, { mode: 'none' })
  })
})
