import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { customer } from './fixtures.js'
import { customerNamespace } from './names.js'
import { customerConditions } from './status.js'

const summary = (c: ReturnType<typeof customer>) =>
  customerConditions(c, []).map((condition) => `${condition.type}=${condition.status}/${condition.reason}`)

describe('customer conditions', () => {
  it('an active customer is Provisioned, not Suspended, and Ready', () => {
    assert.deepEqual(summary(customer()), [
      'Provisioned=True/TenantApplied',
      'Suspended=False/Active',
      'DomainsExclusive=True/NoOverlap',
      'Ready=True/Ready',
    ])
  })

  it('a suspended customer is not Ready and says how to resume', () => {
    const conditions = customerConditions(customer({ suspended: true }), [])
    assert.deepEqual(summary(customer({ suspended: true })), [
      'Provisioned=True/TenantApplied',
      'Suspended=True/CustomerSuspended',
      'DomainsExclusive=True/NoOverlap',
      'Ready=False/CustomerSuspended',
    ])
    assert.match(conditions[3]?.message ?? '', /spec\.suspended to false/)
  })

  it('a customer being deleted reports Deleting with the namespace it removes', () => {
    const deleting = customer()
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z'
    assert.deepEqual(summary(deleting), ['Provisioned=False/Deleting', 'Ready=False/Deleting'])
    assert.match(customerConditions(deleting, [])[1]?.message ?? '', /sh-acme/)
  })
})

describe('DomainsExclusive', () => {
  const alpha = customer({ domains: ['a.example'] }, 'alpha')
  const condition = (c: ReturnType<typeof customer>, others: ReturnType<typeof customer>[]) =>
    customerConditions(c, others).find((x) => x.type === 'DomainsExclusive')

  it('an overlap stored before the admission policy is DomainsOverlap, naming the other customer and the override', () => {
    const beta = customer({ domains: ['shop.a.example', 'b.example'] }, 'beta')
    assert.deepEqual(condition(beta, [alpha, beta]), {
      type: 'DomainsExclusive',
      status: 'False',
      reason: 'DomainsOverlap',
      message:
        "domains overlap other customers': shop.a.example ~ a.example (customer alpha); each name goes to the oldest claim of a site or webspace, whichever customer it belongs to. Remove the domains from one customer, or allow the overlap with spec.domainOverlap.allowedWith: [alpha]",
    })
    assert.equal(condition(alpha, [alpha, beta])?.reason, 'DomainsOverlap', 'both sides report it')
  })

  it('an overlap either side allows is OverlapAllowed on both', () => {
    const beta = customer({ domains: ['a.example'], domainOverlap: { allowedWith: ['alpha'] } }, 'beta')
    assert.equal(condition(beta, [alpha, beta])?.reason, 'OverlapAllowed')
    assert.equal(condition(alpha, [alpha, beta])?.reason, 'OverlapAllowed')
    assert.match(condition(alpha, [alpha, beta])?.message ?? '', /a\.example \(customer beta\)/)
  })

  it('a customer alone with its domains is NoOverlap', () => {
    assert.equal(
      condition(alpha, [alpha, customer({ domains: ['ba.example'] }, 'beta')])?.reason,
      'NoOverlap',
    )
  })
})

describe('customer namespace', () => {
  it('is named by the tier until status records it, then stays across tier changes', () => {
    assert.equal(customerNamespace(customer({ tier: 'dedicated', size: 'large' })), 'ded-acme')
    const moved = { ...customer({ tier: 'dedicated', size: 'large' }), status: { namespace: 'sh-acme' } }
    assert.equal(customerNamespace(moved), 'sh-acme')
  })
})
