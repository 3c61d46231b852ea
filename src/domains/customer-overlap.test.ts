import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type CustomerDomains, customerOverlaps, domainsOverlap } from './customer-overlap.js'

const customer = (name: string, domains: string[], allowedWith?: string[]): CustomerDomains => ({
  metadata: { name },
  spec: { domains, ...(allowedWith ? { domainOverlap: { allowedWith } } : {}) },
})

describe('domains overlap', () => {
  const cases: [string, string, boolean][] = [
    ['a.example', 'a.example', true],
    ['a.example', 'shop.a.example', true],
    ['shop.a.example', 'a.example', true],
    ['a.example', 'x.y.a.example', true],
    ['a.example', 'ba.example', false],
    ['ba.example', 'a.example', false],
    ['a.example', 'b.example', false],
    ['shop.a.example', 'blog.a.example', false],
  ]
  for (const [a, b, expected] of cases)
    it(`${a} and ${b} ${expected ? 'overlap' : 'do not overlap'}`, () =>
      assert.equal(domainsOverlap(a, b), expected))
})

describe('customer overlaps', () => {
  it('lists each other customer with the overlapping pairs, ignoring the customer itself', () => {
    const beta = customer('beta', ['shop.a.example', 'b.example'])
    assert.deepEqual(
      customerOverlaps(beta, [
        customer('alpha', ['a.example', 'c.example']),
        beta,
        customer('gamma', ['b.example']),
      ]),
      [
        { customer: 'alpha', pairs: [['shop.a.example', 'a.example']], allowed: false },
        { customer: 'gamma', pairs: [['b.example', 'b.example']], allowed: false },
      ],
    )
  })

  it('an overlap is allowed when either customer names the other in spec.domainOverlap.allowedWith', () => {
    const alpha = customer('alpha', ['a.example'])
    const beta = customer('beta', ['shop.a.example'], ['alpha'])
    assert.equal(customerOverlaps(beta, [alpha])[0]?.allowed, true)
    assert.equal(customerOverlaps(alpha, [beta])[0]?.allowed, true)
    assert.equal(customerOverlaps(beta, [customer('gamma', ['a.example'])])[0]?.allowed, false)
  })

  it('customers without domains overlap nobody', () => {
    assert.deepEqual(
      customerOverlaps({ metadata: { name: 'x' }, spec: {} }, [customer('alpha', ['a.example'])]),
      [],
    )
  })
})
