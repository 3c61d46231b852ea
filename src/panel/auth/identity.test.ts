import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type ClaimMapping, identityFromClaims } from './identity.js'

const mapping: ClaimMapping = { adminGroup: 'hostplane-admins', customerGroupPrefix: 'hostplane-customer-' }

describe('identityFromClaims', () => {
  const accepted: readonly [string, Record<string, unknown>, ClaimMapping, unknown][] = [
    [
      'a customer claim names the customer',
      { sub: 'u1', email: 'a@acme.test', hostplane_customer: 'acme' },
      mapping,
      { subject: 'u1', email: 'a@acme.test', customer: 'acme', admin: false },
    ],
    [
      'a prefixed group names the customer',
      { sub: 'u1', groups: ['staff', 'hostplane-customer-acme'] },
      mapping,
      { subject: 'u1', customer: 'acme', admin: false },
    ],
    [
      'the admin group makes an admin of no customer',
      { sub: 'u2', groups: ['hostplane-admins'] },
      mapping,
      { subject: 'u2', admin: true },
    ],
    [
      'an admin may also belong to a customer',
      { sub: 'u2', groups: 'hostplane-admins', hostplane_customer: 'acme' },
      mapping,
      { subject: 'u2', customer: 'acme', admin: true },
    ],
    [
      'the same customer named twice is one customer',
      { sub: 'u1', hostplane_customer: ['acme'], groups: ['hostplane-customer-acme'] },
      mapping,
      { subject: 'u1', customer: 'acme', admin: false },
    ],
    [
      'the claim names are configurable',
      { sub: 'u1', tenant: 'acme', roles: ['ops'] },
      { customerClaim: 'tenant', groupsClaim: 'roles', adminGroup: 'ops' },
      { subject: 'u1', customer: 'acme', admin: true },
    ],
  ]
  for (const [name, claims, map, identity] of accepted)
    it(`accepts: ${name}`, () => assert.deepEqual(identityFromClaims(claims, map), { identity }))

  const refused: readonly [string, Record<string, unknown>, RegExp][] = [
    ['no customer and no admin group', { sub: 'u3', groups: ['staff'] }, /names no customer/],
    [
      'the admin group when no admin group is configured',
      { sub: 'u3', groups: ['hostplane-admins'] },
      /no customer/,
    ],
    [
      'several customers',
      { sub: 'u3', hostplane_customer: 'acme', groups: ['hostplane-customer-beta'] },
      /several/,
    ],
    [
      'a customer value that is no Customer name',
      { sub: 'u3', hostplane_customer: 'Acme/../x' },
      /not a Customer name/,
    ],
    [
      'a customer name too long for its namespace',
      { sub: 'u3', hostplane_customer: 'a'.repeat(60) },
      /not a Customer/,
    ],
    ['no subject', { hostplane_customer: 'acme' }, /no subject/],
  ]
  for (const [name, claims, why] of refused)
    it(`refuses: ${name}`, () => {
      const map = name.startsWith('the admin group when') ? {} : mapping
      assert.match(identityFromClaims(claims, map).refusal ?? '', why)
    })
})
