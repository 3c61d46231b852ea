import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import {
  selfSignedCertificate,
  type TestCertificate,
  tlsData,
} from '../../../test/fixtures/tls-certificate.js'
import { type TlsSecretRead, tlsSecretVerdict } from './tls-secret.js'

const NOW = new Date('2026-03-01T12:00:00Z')
const LATER = new Date('2026-06-01T00:00:00Z')

const found = (data: Record<string, string>, type = 'kubernetes.io/tls'): TlsSecretRead => ({
  kind: 'found',
  secret: {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'blog-cert', namespace: 'team-a' },
    type,
    data,
  },
})

describe('tlsSecretVerdict', () => {
  let valid: TestCertificate
  let other: TestCertificate
  let expired: TestCertificate
  let future: TestCertificate
  before(async () => {
    ;[valid, other, expired, future] = await Promise.all([
      selfSignedCertificate({
        domains: ['a.test', '*.b.test'],
        notBefore: new Date('2026-01-01'),
        notAfter: LATER,
      }),
      selfSignedCertificate({ domains: ['a.test'], notBefore: new Date('2026-01-01'), notAfter: LATER }),
      selfSignedCertificate({
        domains: ['a.test'],
        notBefore: new Date('2025-01-01'),
        notAfter: new Date('2026-02-01'),
      }),
      selfSignedCertificate({ domains: ['a.test'], notBefore: new Date('2026-04-01'), notAfter: LATER }),
    ])
  })
  const verdict = (read: TlsSecretRead, domains = ['a.test']) =>
    tlsSecretVerdict({ namespace: 'team-a', name: 'blog-cert', read, domains, now: NOW })

  it('a kubernetes.io/tls Secret whose certificate covers every domain (a wildcard too) is valid, with its expiry', () => {
    const v = verdict(found(tlsData(valid)), ['a.test', 'www.b.test'])
    assert.equal(v.status, 'True')
    assert.equal(v.reason, 'TlsSecretValid')
    assert.equal(v.notAfter?.toISOString(), LATER.toISOString())
    assert.match(
      v.message,
      /Secret blog-cert in namespace team-a covers a\.test, www\.b\.test and expires at 2026-06-01T00:00:00\.000Z/,
    )
  })

  const cases: {
    name: string
    read: () => TlsSecretRead
    domains?: string[]
    reason: string
    says: RegExp
  }[] = [
    {
      name: 'a Secret that does not exist in the site namespace is missing',
      read: () => ({ kind: 'missing' }),
      reason: 'TlsSecretMissing',
      says: /Secret blog-cert in namespace team-a does not exist: tls.secretName names a Secret .* in the site's own namespace/,
    },
    {
      name: 'a namespace where the operator may not read Secrets says which binding is missing',
      read: () => ({ kind: 'forbidden' }),
      reason: 'TlsSecretMissing',
      says: /hostplane-operator-tls-secrets/,
    },
    {
      name: 'an Opaque Secret is refused, even holding a valid certificate',
      read: () => found(tlsData(valid), 'Opaque'),
      reason: 'TlsSecretInvalid',
      says: /has type Opaque: tls.mode secret needs type kubernetes.io\/tls/,
    },
    {
      name: 'tls.crt that is no PEM certificate is invalid',
      read: () =>
        found({ ...tlsData(valid), 'tls.crt': Buffer.from('not a certificate').toString('base64') }),
      reason: 'TlsSecretInvalid',
      says: /tls.crt of Secret blog-cert .* is not a PEM certificate/,
    },
    {
      name: 'a missing tls.key is invalid',
      read: () => found({ 'tls.crt': tlsData(valid)['tls.crt'] }),
      reason: 'TlsSecretInvalid',
      says: /tls.key .* is not a PEM private key/,
    },
    {
      name: 'the key of another certificate is invalid',
      read: () => found({ ...tlsData(valid), 'tls.key': tlsData(other)['tls.key'] }),
      reason: 'TlsSecretInvalid',
      says: /is not the private key of the certificate in tls.crt/,
    },
    {
      name: 'an expired certificate says when it expired',
      read: () => found(tlsData(expired)),
      reason: 'TlsSecretExpired',
      says: /expired at 2026-02-01T00:00:00.000Z/,
    },
    {
      name: 'a certificate not valid yet is invalid',
      read: () => found(tlsData(future)),
      reason: 'TlsSecretInvalid',
      says: /not valid before 2026-04-01T00:00:00.000Z/,
    },
    {
      name: 'a certificate that does not cover every domain names the ones it misses',
      read: () => found(tlsData(valid)),
      domains: ['a.test', 'c.test', 'x.y.b.test'],
      reason: 'TlsSecretDomainMismatch',
      says: /does not cover c.test, x.y.b.test \(it names DNS:a.test, DNS:\*.b.test\)/,
    },
  ]
  for (const c of cases)
    it(c.name, () => {
      const v = verdict(c.read(), c.domains)
      assert.equal(v.status, 'False')
      assert.equal(v.reason, c.reason)
      assert.match(v.message, c.says)
    })

  it('no message holds key material', () => {
    const key = tlsData(valid)['tls.key']
    const keyLines = valid.key.split('\n').filter((l) => l && !l.startsWith('-----'))
    for (const c of cases) {
      const { message } = verdict(c.read(), c.domains)
      assert.ok(!message.includes(key) && keyLines.every((line) => !message.includes(line)), c.name)
    }
  })
})
