import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
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
