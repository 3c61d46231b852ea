import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Condition } from '../../api/conditions.js'
import {
  type AcmeObject,
  type CertificateObject,
  certificateVerdict,
  type Issuance,
  NO_ISSUANCE,
} from './certificate-readiness.js'
import { REASON } from './conditions.js'

const NOW = new Date('2026-06-01T00:00:00Z')

const condition = (
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
): Condition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-05-31T00:00:00Z',
})

const certificate = (ready?: Condition, notAfter?: string): CertificateObject => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'team-a--blog' },
  status: { conditions: ready ? [ready] : [], ...(notAfter ? { notAfter } : {}) },
})

const notIssued = condition('Ready', 'False', 'DoesNotExist', 'Issuing certificate as Secret does not exist')
const issued = condition('Ready', 'True', 'Ready', 'Certificate is up to date and has not expired')

const acme = (kind: 'Order' | 'Challenge', state: string, reason?: string): AcmeObject => ({
  apiVersion: 'acme.cert-manager.io/v1',
  kind,
  metadata: { name: `team-a--blog-1-${kind.toLowerCase()}` },
  ...(kind === 'Challenge' ? { spec: { dnsName: 'blog.test', type: 'HTTP-01' } } : {}),
  status: { state, ...(reason ? { reason } : {}) },
})

const request = (ready: Condition) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'CertificateRequest',
  metadata: { name: 'team-a--blog-1' },
  status: { conditions: [ready] },
})

const issuance = (changes: Partial<Issuance>): Issuance => ({ ...NO_ISSUANCE, ...changes })

const cases: {
  name: string
  certificate?: CertificateObject
  issuance?: Issuance
  status: 'True' | 'False'
  reason: string
  message: RegExp
}[] = [
  {
    name: 'a Certificate cert-manager reports Ready is issued',
    certificate: certificate(issued, '2026-08-30T00:00:00Z'),
    status: 'True',
    reason: REASON.CertificateIssued,
    message: /^Certificate team-a--blog is issued and ready$/,
  },
  {
    name: 'a Certificate past its notAfter is expired, even while its Ready condition still says True',
    certificate: certificate(issued, '2026-05-01T00:00:00Z'),
    status: 'False',
    reason: REASON.CertificateExpired,
    message: /^Certificate team-a--blog expired at 2026-05-01T00:00:00Z and was not renewed$/,
  },
  {
    name: 'an expired Certificate whose renewal fails says why the renewal fails',
    certificate: certificate(notIssued, '2026-05-01T00:00:00Z'),
    issuance: issuance({ orders: [acme('Order', 'invalid', 'urn:ietf:params:acme:error:rateLimited')] }),
    status: 'False',
    reason: REASON.CertificateExpired,
    message:
      /expired at 2026-05-01T00:00:00Z and was not renewed: the ACME order .* is invalid: urn:ietf:params:acme:error:rateLimited/,
  },
  {
    name: "a Challenge in state invalid is the failure, with the CA's reason, not 'Secret does not exist'",
    certificate: certificate(notIssued),
    issuance: issuance({
      orders: [acme('Order', 'invalid')],
      challenges: [
        acme(
          'Challenge',
          'invalid',
          'Error accepting authorization: acme: authorization error for blog.test: 403 urn:ietf:params:acme:error:unauthorized',
        ),
      ],
    }),
    status: 'False',
    reason: REASON.CertificateFailed,
    message:
      /^cert-manager could not issue Certificate team-a--blog: the HTTP-01 challenge for blog\.test is invalid: Error accepting authorization: .*unauthorized; it retries with backoff$/,
  },
  {
    name: 'an Order in state errored is the failure when no Challenge failed',
    certificate: certificate(notIssued),
    issuance: issuance({ orders: [acme('Order', 'errored', 'Failed to finalize Order: 400 badCSR')] }),
    status: 'False',
    reason: REASON.CertificateFailed,
    message: /the ACME order team-a--blog-1-order is errored: Failed to finalize Order: 400 badCSR/,
  },
  {
    name: 'a CertificateRequest that failed (e.g. the issuer is not ready) is the failure',
    certificate: certificate(notIssued),
    issuance: issuance({
      request: request(
        condition('Ready', 'False', 'Failed', 'Failed to wait for order resource to become ready'),
      ),
    }),
    status: 'False',
    reason: REASON.CertificateFailed,
    message: /CertificateRequest team-a--blog-1 failed: Failed to wait for order resource to become ready/,
  },
  {
    name: 'a denied CertificateRequest says it was denied',
    certificate: certificate(notIssued),
    issuance: issuance({
      request: request(condition('Ready', 'False', 'Denied', 'policy refused blog.test')),
    }),
    status: 'False',
    reason: REASON.CertificateFailed,
    message: /CertificateRequest team-a--blog-1 was denied: policy refused blog\.test/,
  },
  {
    name: 'a pending Challenge with a reason says what cert-manager waits for (the self check cannot reach the domain)',
    certificate: certificate(notIssued),
    issuance: issuance({
      request: request(condition('Ready', 'False', 'Pending', 'Waiting on certificate issuance from order')),
      orders: [acme('Order', 'pending')],
      challenges: [
        acme(
          'Challenge',
          'pending',
          "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'",
        ),
      ],
    }),
    status: 'False',
    reason: REASON.CertificatePending,
    message:
      /^cert-manager has not issued Certificate team-a--blog yet: the HTTP-01 challenge for blog\.test is pending: Waiting for HTTP-01 challenge propagation: wrong status code '404'/,
  },
  {
    name: "with nothing further down, pending repeats the Certificate's own Ready reason",
    certificate: certificate(notIssued),
    status: 'False',
    reason: REASON.CertificatePending,
    message: /yet: DoesNotExist: Issuing certificate as Secret does not exist$/,
  },
  {
    name: 'a Certificate not created yet is pending and points at DNS',
    status: 'False',
    reason: REASON.CertificatePending,
    message: /^waiting for cert-manager to issue Certificate team-a--blog; check that DNS/,
  },
]

describe('certificateVerdict: why a Certificate is or is not ready', () => {
  for (const c of cases)
    it(c.name, () => {
      const verdict = certificateVerdict('team-a--blog', c.certificate, c.issuance ?? NO_ISSUANCE, NOW)
      assert.equal(verdict.status, c.status)
      assert.equal(verdict.reason, c.reason)
      assert.match(verdict.message, c.message)
    })

  it('cuts a long reason to the 1,024 characters a condition message keeps here', () => {
    const long = acme('Challenge', 'invalid', 'x'.repeat(5000))
    const verdict = certificateVerdict('c', certificate(notIssued), issuance({ challenges: [long] }), NOW)
    assert.equal(verdict.message.length, 1024)
  })
})
