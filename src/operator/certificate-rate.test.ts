import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_CERTIFICATE_ORDERS } from '../api/customer.js'
import { customer } from './customer/fixtures.js'
import { TIER_OBJECT_LIMITS } from './customer/tiers.js'
import { decideOrder, orderKey, orderOf, withoutNewOrder } from './certificate-rate.js'

const NOW = new Date('2026-06-01T12:00:00Z')
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString()
const certificate = (...dnsNames: string[]) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'c', namespace: 'sys' },
  spec: { dnsNames },
})
const site = { kind: 'StaticSite' as const, metadata: { name: 'blog', namespace: 'sh-acme' } }

describe('decideOrder', () => {
  it('records a new order while the last hour holds fewer than the limit', () => {
    const decision = decideOrder([{ object: 'x', at: minutesAgo(10) }], 2, 'y', NOW)
    assert.deepEqual(decision, {
      kind: 'record',
      orders: [
        { object: 'x', at: minutesAgo(10) },
        { object: 'y', at: NOW.toISOString() },
      ],
    })
  })

  it('forgets orders older than an hour, so the recorded list stays bounded', () => {
    const decision = decideOrder([{ object: 'x', at: minutesAgo(61) }], 1, 'y', NOW)
    assert.deepEqual(decision, { kind: 'record', orders: [{ object: 'y', at: NOW.toISOString() }] })
  })

  it('counts the same order once', () => {
    assert.deepEqual(decideOrder([{ object: 'y', at: minutesAgo(5) }], 1, 'y', NOW), { kind: 'counted' })
  })

  it('makes an order over the limit wait until the oldest of the hour leaves it, and says when', () => {
    const decision = decideOrder(
      [
        { object: 'a', at: minutesAgo(50) },
        { object: 'b', at: minutesAgo(20) },
      ],
      2,
      'c',
      NOW,
    )
    assert.equal(decision.kind, 'limited')
    assert.equal(decision.kind === 'limited' && decision.retryAt.toISOString(), '2026-06-01T12:10:00.000Z')
    assert.match(
      decision.kind === 'limited' ? decision.message : '',
      /ordered 2 new certificates in the last hour.*until 2026-06-01T12:10:00\.000Z, when it retries by itself/,
    )
  })
})

describe('orderOf', () => {
  const acme = customer()
  it('is no order when the live Certificate has the same domains (a renewal is not counted)', () => {
    assert.equal(
      orderOf(site, [certificate('a.test', 'b.test')], certificate('b.test', 'a.test'), acme, NOW),
      undefined,
    )
  })

  it('is an order for a new Certificate or new domains, under the customer tier’s 5 per hour', () => {
    const full = {
      ...acme,
      status: {
        certificateOrders: Array.from({ length: 5 }, (_, i) => ({ object: `o${i}`, at: minutesAgo(i) })),
      },
    }
    assert.equal(orderOf(site, [certificate('a.test')], undefined, full, NOW)?.kind, 'limited')
    assert.equal(orderOf(site, [certificate('a.test')], undefined, acme, NOW)?.kind, 'record')
    assert.equal(
      orderOf(site, [certificate('a.test')], undefined, undefined, NOW),
      undefined,
      'no customer, no limit',
    )
  })

  it('names an order by object and domains', () => {
    assert.match(
      orderKey('Webspace', 'sh-acme', 'shop', ['b', 'a']),
      /^Webspace\/sh-acme\/shop\/[0-9a-f]{16}$/,
    )
    assert.equal(orderKey('Webspace', 'n', 's', ['b', 'a']), orderKey('Webspace', 'n', 's', ['a', 'b']))
  })
})

describe('withoutNewOrder', () => {
  it('keeps the live Certificate’s domains while the new order waits, or leaves a first Certificate out', () => {
    const route = { apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: { name: 'r' } }
    assert.deepEqual(withoutNewOrder([route, certificate('a.test', 'new.test')], certificate('a.test')), [
      route,
      certificate('a.test'),
    ])
    assert.deepEqual(withoutNewOrder([route, certificate('a.test')], undefined), [route])
  })
})

describe('the recorded orders', () => {
  it('fit the Customer status field: no tier allows more per hour than it keeps', () => {
    for (const sizes of Object.values(TIER_OBJECT_LIMITS))
      for (const limits of Object.values(sizes))
        assert.ok(limits.certificatesPerHour <= MAX_CERTIFICATE_ORDERS)
  })
})
