import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { directorySlug, parseStoredCertificate } from './certificate-store.js'

describe('directorySlug', () => {
  const cases: [string, string][] = [
    ['https://acme-v02.api.letsencrypt.org/directory', 'acme-v02.api.letsencrypt.org-directory'],
    [
      'https://acme-staging-v02.api.letsencrypt.org/directory',
      'acme-staging-v02.api.letsencrypt.org-directory',
    ],
    ['https://127.0.0.1:14000/dir', '127.0.0.1-14000-dir'],
    ['https://ca.test/../../etc/', 'ca.test-etc'],
  ]
  for (const [url, slug] of cases)
    it(`keeps ${url} apart as ${slug}`, () => assert.equal(directorySlug(url), slug))
})

describe('parseStoredCertificate', () => {
  it('refuses a file without a private key, naming the domain', () =>
    assert.throws(
      () => parseStoredCertificate('a.test', 'garbage'),
      /no private key and certificate in the file for a.test/,
    ))
})
