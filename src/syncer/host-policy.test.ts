import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HostPolicy, hostIsAllowed, isInternalAddress } from './host-policy.js'
import { parseRepoUrl } from './repo-url.js'
import { SyncError } from './sync-error.js'

describe('hostIsAllowed', () => {
  const cases: [string, string, string[], boolean][] = [
    ['allows an exact host name', 'git.example.com', ['git.example.com'], true],
    ['allows a subdomain of a *. pattern', 'a.example.com', ['*.example.com'], true],
    ['does not let *.example.com match example.com itself', 'example.com', ['*.example.com'], false],
    ['does not let a suffix without a dot match', 'evilexample.com', ['*.example.com'], false],
    ['refuses a host not in the list', 'evil.test', ['git.example.com'], false],
  ]
  for (const [name, host, allowed, expected] of cases)
    it(name, () => assert.equal(hostIsAllowed(host, allowed), expected))
})

describe('isInternalAddress', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['::1', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['140.82.121.4', false],
    ['2606:4700::1', false],
  ]
  for (const [address, expected] of cases)
    it(`${expected ? 'treats' : 'does not treat'} ${address} as internal`, () =>
      assert.equal(isInternalAddress(address), expected))
})

describe('HostPolicy.check', () => {
  const policy = (resolved: string[], allowedPrivateNetworks: string[] = []) =>
    new HostPolicy({
      allowedHosts: ['git.example.com', '127.0.0.1'],
      allowedPrivateNetworks,
      resolve: async () => resolved,
    })
  const refusedWith = (pattern: RegExp) => (e: unknown) =>
    e instanceof SyncError && e.code === 'HP_ERR_SYNC_HOST_NOT_ALLOWED' && pattern.test(e.message)

  it('returns the resolved public address, to pin git to it', async () => {
    assert.equal(
      await policy(['140.82.121.4']).check(parseRepoUrl('https://git.example.com/a.git')),
      '140.82.121.4',
    )
  })

  it('refuses a host outside --allowed-hosts before resolving it', async () => {
    await assert.rejects(
      policy(['140.82.121.4']).check(parseRepoUrl('https://evil.test/a.git')),
      refusedWith(/not in the syncer's --allowed-hosts/),
    )
  })

  it('refuses an allowed name that resolves to a private address (DNS pointing inside)', async () => {
    await assert.rejects(
      policy(['140.82.121.4', '10.0.0.5']).check(parseRepoUrl('https://git.example.com/a.git')),
      refusedWith(/internal address 10.0.0.5/),
    )
  })

  it('refuses loopback even when the IP itself is allowed as a host', async () => {
    await assert.rejects(
      policy([]).check(parseRepoUrl('https://127.0.0.1:8443/a.git')),
      refusedWith(/internal address 127.0.0.1/),
    )
  })

  it('allows loopback when its network is explicitly allowed', async () => {
    assert.equal(
      await policy([], ['127.0.0.1/32']).check(parseRepoUrl('https://127.0.0.1:8443/a.git')),
      '127.0.0.1',
    )
  })

  it('refuses an empty allowed-hosts list at construction', () => {
    assert.throws(() => new HostPolicy({ allowedHosts: [] }), /must not be empty/)
  })
})
