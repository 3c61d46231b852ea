import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DSA, ED_A, ED_B } from './fixtures.js'
import { claimKeys, type CustomerKeys, type SshKeyClaim } from './claims.js'
import { classifyKey } from './keys.js'

const fp = (line: string) => {
  const verdict = classifyKey(line)
  if (!verdict.ok) throw new Error(verdict.message)
  return verdict.fingerprint
}

const customer = (name: string, createdAt: string, sshKeys: string[] = []): CustomerKeys => ({
  name,
  namespace: `sh-${name}`,
  createdAt,
  sshKeys,
})
const sshKey = (namespace: string, name: string, createdAt: string, publicKey: string): SshKeyClaim => ({
  namespace,
  name,
  createdAt,
  publicKey,
})

describe('claimKeys', () => {
  it('gives a Customer sshKeys entry to its customer as the key "customer"', () => {
    const { owners } = claimKeys([customer('acme', '2026-01-01T00:00:00Z', [ED_A])], [])
    assert.deepEqual(owners.get(fp(ED_A)), { customer: 'acme', fingerprint: fp(ED_A), key: 'customer' })
  })

  it("accepts a tenant's SshKey and names it as the key", () => {
    const { owners, sshKeys } = claimKeys(
      [customer('acme', '2026-01-01T00:00:00Z')],
      [sshKey('sh-acme', 'laptop', '2026-01-02T00:00:00Z', ED_A)],
    )
    assert.deepEqual(owners.get(fp(ED_A)), { customer: 'acme', fingerprint: fp(ED_A), key: 'laptop' })
    assert.equal(sshKeys.get('sh-acme/laptop')?.condition.status, 'True')
    assert.equal(sshKeys.get('sh-acme/laptop')?.fingerprint, fp(ED_A))
  })

  it("refuses another tenant's SshKey with a Customer's key as Duplicate, without naming that customer", () => {
    const { owners, sshKeys } = claimKeys(
      [customer('victim', '2026-01-02T00:00:00Z', [ED_A]), customer('thief', '2026-01-01T00:00:00Z')],
      [sshKey('sh-thief', 'stolen', '2025-01-01T00:00:00Z', ED_A)],
    )
    assert.equal(
      owners.get(fp(ED_A))?.customer,
      'victim',
      'Customer sshKeys come first, however old the SshKey',
    )
    assert.deepEqual(sshKeys.get('sh-thief/stolen')?.condition, {
      type: 'Accepted',
      status: 'False',
      reason: 'Duplicate',
      message: 'this key is already registered by another customer',
    })
  })

  it('gives a fingerprint claimed by two SshKeys to the older one, whatever their names', () => {
    const { owners, sshKeys } = claimKeys(
      [customer('a', '2026-01-01T00:00:00Z'), customer('b', '2026-01-01T00:00:00Z')],
      [
        sshKey('sh-b', 'aaa', '2026-03-01T00:00:00Z', ED_B),
        sshKey('sh-a', 'zzz', '2026-02-01T00:00:00Z', ED_B),
      ],
    )
    assert.equal(owners.get(fp(ED_B))?.customer, 'a')
    assert.equal(sshKeys.get('sh-b/aaa')?.condition.reason, 'Duplicate')
  })

  it('says where a duplicate of the same customer is registered', () => {
    const { sshKeys } = claimKeys(
      [customer('acme', '2026-01-01T00:00:00Z', [ED_A])],
      [sshKey('sh-acme', 'again', '2026-01-02T00:00:00Z', ED_A)],
    )
    assert.equal(
      sshKeys.get('sh-acme/again')?.condition.message,
      "this key is already registered in this Customer's sshKeys",
    )
  })

  it('gives a key claimed by two Customers to the older Customer', () => {
    const { owners, refusedCustomerKeys } = claimKeys(
      [customer('young', '2026-02-01T00:00:00Z', [ED_A]), customer('old', '2026-01-01T00:00:00Z', [ED_A])],
      [],
    )
    assert.equal(owners.get(fp(ED_A))?.customer, 'old')
    assert.deepEqual(
      refusedCustomerKeys.map((r) => [r.customer, r.reason]),
      [['young', 'Duplicate']],
    )
  })

  it('refuses an SshKey in a namespace of no Customer', () => {
    const { owners, sshKeys } = claimKeys([], [sshKey('default', 'k', '2026-01-01T00:00:00Z', ED_A)])
    assert.equal(owners.size, 0)
    assert.equal(sshKeys.get('default/k')?.condition.reason, 'Invalid')
  })

  it('never lets a weak key of a Customer or an SshKey authenticate', () => {
    const { owners, sshKeys, refusedCustomerKeys } = claimKeys(
      [customer('acme', '2026-01-01T00:00:00Z', [DSA])],
      [sshKey('sh-acme', 'old', '2026-01-02T00:00:00Z', DSA)],
    )
    assert.equal(owners.size, 0)
    assert.equal(sshKeys.get('sh-acme/old')?.condition.reason, 'Weak')
    assert.deepEqual(
      refusedCustomerKeys.map((r) => r.reason),
      ['Weak'],
    )
  })
})
