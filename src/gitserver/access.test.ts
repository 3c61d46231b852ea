import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type AccessInput, decideAccess, type RepositoryEntry } from './access.js'
import type { KeyOwner } from './claims.js'
import type { GitService } from './command.js'

const acmeKey: KeyOwner = { customer: 'acme', fingerprint: 'SHA256:a', key: 'laptop' }
const shop: RepositoryEntry = {
  customer: 'acme',
  namespace: 'sh-acme',
  webspace: 'shop',
  uid: 'uid-1',
  branch: 'main',
  suspended: false,
  maxPushBytes: 1024,
  tier: 'shared',
  size: 'small',
}
const input = (
  changes: Partial<AccessInput> = {},
  service: GitService = 'git-receive-pack',
): AccessInput => ({
  bound: acmeKey,
  current: acmeKey,
  command: { service, customer: 'acme', webspace: 'shop' },
  repository: shop,
  ...changes,
})

describe('decideAccess', () => {
  it('lets a customer push to and fetch from its own webspace', () => {
    assert.deepEqual(decideAccess(input()), { allowed: true, repository: shop })
    assert.deepEqual(decideAccess(input({}, 'git-upload-pack')), { allowed: true, repository: shop })
  })

  const refused: [string, Partial<AccessInput>, RegExp][] = [
    ['a key removed since the session began', { current: undefined }, /no longer registered/],
    [
      'a key now claimed by another customer',
      { current: { ...acmeKey, customer: 'other' } },
      /no longer registered/,
    ],
    [
      'a key now registered under another entry',
      { current: { ...acmeKey, key: 'customer' } },
      /no longer registered/,
    ],
    [
      'a repository of another customer',
      { repository: { ...shop, customer: 'other' } },
      /acme\/shop\.git not found/,
    ],
    [
      "another customer's name in the path",
      {
        command: { service: 'git-upload-pack', customer: 'other', webspace: 'shop' },
        repository: { ...shop, customer: 'other' },
      },
      /other\/shop\.git not found/,
    ],
    [
      'a webspace that does not exist, in the same words',
      { repository: undefined },
      /acme\/shop\.git not found/,
    ],
    ['a push of a suspended customer', { repository: { ...shop, suspended: true } }, /suspended/],
  ]
  for (const [name, changes, message] of refused)
    it(`refuses ${name}`, () => {
      const decision = decideAccess(input(changes))
      assert.equal(decision.allowed, false)
      assert.match(decision.allowed ? '' : decision.message, message)
    })

  it('lets a suspended customer fetch its code', () =>
    assert.equal(
      decideAccess(input({ repository: { ...shop, suspended: true } }, 'git-upload-pack')).allowed,
      true,
    ))
})
