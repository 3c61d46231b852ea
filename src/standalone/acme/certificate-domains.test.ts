import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { certificateDomains, type TlsSite } from './certificate-domains.js'

const site = (key: string, domains: string[], mode: TlsSite['mode'] = 'auto'): TlsSite => ({
  id: `default/${key}`,
  domains,
  mode,
})

describe('certificateDomains', () => {
  it('takes every domain of a site with tls.mode auto, aliases included (they redirect over HTTPS)', () =>
    assert.deepEqual(certificateDomains([site('blog', ['www.a.test', 'a.test'])]).domains, [
      'a.test',
      'www.a.test',
    ]))

  it('leaves out sites with tls.mode none without a complaint', () =>
    assert.deepEqual(certificateDomains([site('plain', ['b.test'], 'none')]), {
      domains: [],
      skipped: [],
    }))

  it('names a domain once when sites of one owner split it by path prefix', () =>
    assert.deepEqual(certificateDomains([site('root', ['a.test']), site('docs', ['a.test'])]).domains, [
      'a.test',
    ]))

  it('skips .localhost names and tls.mode secret, saying why', () => {
    const { domains, skipped } = certificateDomains([
      site('local', ['blog-default.localhost']),
      site('secret', ['c.test'], 'secret'),
    ])
    assert.deepEqual(domains, [])
    assert.deepEqual(
      skipped.map(({ domain, reason }) => [domain, reason.split(',')[0]]),
      [
        ['blog-default.localhost', 'a .localhost name cannot get a certificate from a public CA'],
        ['c.test', 'tls.mode secret names a Kubernetes Secret'],
      ],
    )
  })
})
