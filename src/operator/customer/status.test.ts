import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { customer } from './fixtures.js'
import { customerNamespace } from './names.js'
import { customerConditions } from './status.js'

const summary = (c: ReturnType<typeof customer>) =>
  customerConditions(c).map((condition) => `${condition.type}=${condition.status}/${condition.reason}`)

describe('customer conditions', () => {
  it('an active customer is Provisioned, not Suspended, and Ready', () => {
    assert.deepEqual(summary(customer()), [
      'Provisioned=True/TenantApplied',
      'Suspended=False/Active',
      'Ready=True/Ready',
    ])
  })

  it('a suspended customer is not Ready and says how to resume', () => {
    const conditions = customerConditions(customer({ suspended: true }))
    assert.deepEqual(summary(customer({ suspended: true })), [
      'Provisioned=True/TenantApplied',
      'Suspended=True/CustomerSuspended',
      'Ready=False/CustomerSuspended',
    ])
    assert.match(conditions[2]?.message ?? '', /spec\.suspended to false/)
  })

  it('a customer being deleted reports Deleting with the namespace it removes', () => {
    const deleting = customer()
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z'
    assert.deepEqual(summary(deleting), ['Provisioned=False/Deleting', 'Ready=False/Deleting'])
    assert.match(customerConditions(deleting)[1]?.message ?? '', /sh-acme/)
  })
})

describe('customer namespace', () => {
  it('is named by the tier until status records it, then stays across tier changes', () => {
    assert.equal(customerNamespace(customer({ tier: 'dedicated', size: 'large' })), 'ded-acme')
    const moved = { ...customer({ tier: 'dedicated', size: 'large' }), status: { namespace: 'sh-acme' } }
    assert.equal(customerNamespace(moved), 'sh-acme')
  })
})
