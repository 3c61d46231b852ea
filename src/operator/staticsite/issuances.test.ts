import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { KubeObject } from '../../kube/object.js'
import { IssuanceIndex, issuanceFields } from './issuances.js'

const object = (kind: string, name: string, owner?: [string, string], revision?: string): KubeObject => ({
  apiVersion: kind === 'CertificateRequest' ? 'cert-manager.io/v1' : 'acme.cert-manager.io/v1',
  kind,
  metadata: {
    name,
    ...(revision ? { annotations: { 'cert-manager.io/certificate-revision': revision } } : {}),
    ...(owner
      ? {
          ownerReferences: [{ apiVersion: 'v1', kind: owner[0], name: owner[1], uid: 'u', controller: true }],
        }
      : {}),
  },
})

describe('IssuanceIndex', () => {
  const index = new IssuanceIndex()
  for (const o of [
    object('CertificateRequest', 'c-1', ['Certificate', 'c'], '1'),
    object('CertificateRequest', 'c-2', ['Certificate', 'c'], '2'),
    object('Order', 'c-1-a', ['CertificateRequest', 'c-1']),
    object('Order', 'c-2-a', ['CertificateRequest', 'c-2']),
    object('Challenge', 'c-2-a-x', ['Order', 'c-2-a']),
    object('Challenge', 'other', ['Order', 'someone-else']),
  ])
    index.update({ type: 'added', object: o })

  it('gives the newest request of a Certificate by revision, with its orders and their challenges only', () => {
    const issuance = index.of('c')
    assert.equal(issuance.request?.metadata.name, 'c-2')
    assert.deepEqual(
      issuance.orders.map((o) => o.metadata.name),
      ['c-2-a'],
    )
    assert.deepEqual(
      issuance.challenges.map((o) => o.metadata.name),
      ['c-2-a-x'],
    )
  })

  it('finds the Certificate of a challenge through its order and request, and none for an unknown chain', () => {
    assert.equal(index.certificateOf(object('Challenge', 'c-2-a-x', ['Order', 'c-2-a'])), 'c')
    assert.equal(index.certificateOf(object('Challenge', 'other', ['Order', 'someone-else'])), undefined)
  })

  it('forgets a deleted object', () => {
    index.update({ type: 'deleted', object: object('CertificateRequest', 'c-2', ['Certificate', 'c'], '2') })
    assert.equal(index.of('c').request?.metadata.name, 'c-1')
  })

  it('keeps of an object only what the verdict reads, not the CSR', () => {
    const kept = issuanceFields({
      ...object('Challenge', 'x', ['Order', 'o']),
      spec: { dnsName: 'a.test', type: 'HTTP-01', token: 'secret-ish', key: 'k' },
      status: { state: 'pending' },
    })
    assert.deepEqual(kept.spec, { dnsName: 'a.test', type: 'HTTP-01' })
    assert.deepEqual(kept.status, { state: 'pending' })
  })
})
