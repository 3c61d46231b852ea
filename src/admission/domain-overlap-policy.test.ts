import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Customer } from '../api/resources.js'
import type { Manifest } from '../kube/object.js'
import { renderDomainOverlapPolicy } from './domain-overlap-policy.js'
import { type AdmissionInput, evaluatePolicy } from './evaluate-policy.js'
import { customer } from '../operator/customer/fixtures.js'

const [policy, binding] = renderDomainOverlapPolicy() as [Manifest, Manifest]
const withOverride = (c: Customer, allowedWith: string[]): Customer => ({
  ...c,
  spec: { ...c.spec, domainOverlap: { allowedWith } },
})
const alpha = customer({ domains: ['a.example'] }, 'alpha')
const create = (object: Customer, params: Customer): AdmissionInput => ({
  object,
  params,
  request: { operation: 'CREATE' },
})

describe('domain overlap admission policy', () => {
  const refused: [string, string[]][] = [
    ['the same domain', ['a.example']],
    ['a subdomain of theirs', ['shop.a.example']],
    ['a parent of theirs', ['example']],
    ['one overlapping domain among others', ['b.example', 'x.y.a.example']],
  ]
  for (const [what, domains] of refused)
    it(`refuses a new Customer with ${what}, naming the other customer and the override`, () => {
      const verdict = evaluatePolicy(policy, create(customer({ domains }, 'beta'), alpha))
      assert.equal(verdict.allowed, false)
      const overlapping = domains.filter((d) => d !== 'b.example').join(', ')
      assert.equal(
        verdict.allowed ? '' : verdict.message,
        `spec.domains: ${overlapping} overlap the domains of customer alpha (a.example): a domain and its subdomains belong to one customer; remove them, or, if the two customers share them on purpose, set spec.domainOverlap.allowedWith: [alpha] (then the oldest claim of each name decides which namespace serves it)`,
      )
    })

  const allowed: [string, AdmissionInput][] = [
    [
      'a domain that only shares a suffix without a label boundary',
      create(customer({ domains: ['ba.example'] }, 'beta'), alpha),
    ],
    [
      'a sibling subdomain of another customer’s subdomain',
      create(
        customer({ domains: ['blog.a.example'] }, 'beta'),
        customer({ domains: ['shop.a.example'] }, 'alpha'),
      ),
    ],
    ['no domains', create(customer({ domains: undefined }, 'beta'), alpha)],
    [
      'a parameter without domains',
      create(customer({ domains: ['a.example'] }, 'beta'), customer({ domains: undefined }, 'alpha')),
    ],
    [
      'the newcomer naming the other customer',
      create(withOverride(customer({ domains: ['shop.a.example'] }, 'beta'), ['alpha']), alpha),
    ],
    [
      'the other customer naming the newcomer',
      create(customer({ domains: ['shop.a.example'] }, 'beta'), withOverride(alpha, ['beta'])),
    ],
    [
      'an update checked against its own stored copy',
      { object: alpha, oldObject: alpha, params: alpha, request: { operation: 'UPDATE' } },
    ],
    [
      'an update keeping a domain that overlapped before the policy (suspending, finalizers)',
      {
        object: customer({ domains: ['shop.a.example'], suspended: true }, 'beta'),
        oldObject: customer({ domains: ['shop.a.example'] }, 'beta'),
        params: alpha,
        request: { operation: 'UPDATE' },
      },
    ],
  ]
  for (const [what, input] of allowed)
    it(`allows ${what}`, () => assert.deepEqual(evaluatePolicy(policy, input), { allowed: true }))

  it('refuses an update adding an overlapping domain, naming only the new one', () => {
    const verdict = evaluatePolicy(policy, {
      object: customer({ domains: ['shop.a.example', 'a.example'] }, 'beta'),
      oldObject: customer({ domains: ['shop.a.example'] }, 'beta'),
      params: alpha,
      request: { operation: 'UPDATE' },
    })
    assert.match(
      verdict.allowed ? '' : verdict.message,
      /^spec\.domains: a\.example overlap the domains of customer alpha \(a\.example\)/,
    )
  })

  it('is bound with every Customer as a parameter, allowing the first Customer of all', () => {
    assert.deepEqual(binding.spec, {
      policyName: policy.metadata.name,
      validationActions: ['Deny'],
      paramRef: { selector: {}, parameterNotFoundAction: 'Allow' },
    })
  })
})
