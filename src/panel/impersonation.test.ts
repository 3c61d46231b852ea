import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  actingAdminImpersonation,
  adminImpersonation,
  customerImpersonation,
  impersonationHeaders,
  isImpersonationHeader,
  TOKEN_KEEPER,
} from './impersonation.js'

describe('impersonation', () => {
  it('a customer is its user in its own group and system:authenticated, one Impersonate-Group line each', () => {
    assert.deepEqual(impersonationHeaders(customerImpersonation('acme')), {
      'Impersonate-User': 'hostplane:customer:acme',
      'Impersonate-Group': ['hostplane:customer:acme', 'system:authenticated'],
    })
  })

  for (const name of ['', 'system:masters', 'Acme', 'a/b', 'a,b', '-a', 'a'.repeat(60)])
    it(`never impersonates a name that is no Customer's: ${JSON.stringify(name)}`, () =>
      assert.throws(() => customerImpersonation(name), /not a customer name/))

  const subjects: readonly [string, string, string][] = [
    ['a plain subject', 'root', 'hostplane:admin:root'],
    ['an email-like subject', 'ops@provider.test', 'hostplane:admin:ops@provider.test'],
    ['a subject with a colon', 'a:b', 'hostplane:admin:sha256-'],
    ['a subject with a newline', 'x\nImpersonate-User: system:admin', 'hostplane:admin:sha256-'],
    ['a subject of a kilobyte', 'a'.repeat(1024), 'hostplane:admin:sha256-'],
  ]
  for (const [what, subject, user] of subjects)
    it(`an admin is a user of its own in the admins group: ${what} becomes ${user}…`, () => {
      const { user: made, groups } = adminImpersonation(subject)
      assert.ok(made.startsWith(user), made)
      assert.ok(made.length <= 116 && /^[A-Za-z0-9:._@-]+$/.test(made), made)
      assert.deepEqual(groups, ['hostplane:admins', 'system:authenticated'])
    })

  it('an admin acting as a customer is exactly that customer, plus an extra naming the admin', () => {
    assert.deepEqual(impersonationHeaders(actingAdminImpersonation('acme', 'root')), {
      'Impersonate-User': 'hostplane:customer:acme',
      'Impersonate-Group': ['hostplane:customer:acme', 'system:authenticated'],
      'Impersonate-Extra-hostplane.dev%2Facting-admin': 'hostplane:admin:root',
    })
  })

  it('the token keeper is a fixed user in no group of its own', () => {
    assert.deepEqual(TOKEN_KEEPER, { user: 'hostplane:panel:tokens', groups: ['system:authenticated'] })
  })

  it('recognises inbound impersonation headers in any case', () => {
    for (const name of [
      'Impersonate-User',
      'impersonate-group',
      'IMPERSONATE-UID',
      'Impersonate-Extra-Scopes',
    ])
      assert.equal(isImpersonationHeader(name), true, name)
    assert.equal(isImpersonationHeader('authorization'), false)
  })
})
