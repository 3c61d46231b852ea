import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { embeddedIpv4, HostPolicy, hostIsAllowed, isInternalAddress } from './host-policy.js'
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
  const cases: [string, string, boolean][] = [
    ['loopback', '127.0.0.1', true],
    ['a 10/8 address', '10.1.2.3', true],
    ['a 172.16/12 address', '172.20.0.1', true],
    ['a 192.168/16 address', '192.168.1.1', true],
    ['the cloud metadata address', '169.254.169.254', true],
    ['carrier-grade NAT space', '100.64.0.1', true],
    ['IPv6 loopback', '::1', true],
    ['IPv6 link-local, with or without a zone', 'fe80::1%eth0', true],
    ['an IPv6 unique local address', 'fd00::1', true],
    ['IPv4-mapped loopback, dotted', '::ffff:127.0.0.1', true],
    ['IPv4-mapped loopback, in hex', '::ffff:7f00:1', true],
    ['IPv4-compatible loopback', '::127.0.0.1', true],
    ['IPv4-compatible metadata address, in hex', '::a9fe:a9fe', true],
    ['NAT64 of a private address', '64:ff9b::10.0.0.1', true],
    ['NAT64 of the metadata address, in hex', '64:ff9b::a9fe:a9fe', true],
    ['any local-use NAT64 address', '64:ff9b:1::203.0.113.1', true],
    ['6to4 of loopback', '2002:7f00:1::', true],
    ['6to4 of a private address, with a host part', '2002:c0a8:101::1', true],
    ['Teredo with a loopback client (stored inverted)', '2001:0:4136:e378:8000:63bf:80ff:fffe', true],
    ['Teredo with a private server', '2001:0:a00:1:8000:63bf:3fff:fdd2', true],
    ['a public IPv4 address', '140.82.121.4', false],
    ['a public IPv6 address', '2606:4700::1', false],
    ['IPv4-mapped public address', '::ffff:140.82.121.4', false],
    ['NAT64 of a public address', '64:ff9b::140.82.121.4', false],
    ['6to4 of a public address', '2002:8c52:7904::1', false],
    ['Teredo with a public server and client', '2001:0:4136:e378:8000:63bf:3fff:fdd2', false],
  ]
  for (const [name, address, expected] of cases)
    it(`${expected ? 'treats' : 'does not treat'} ${name} (${address}) as internal`, () =>
      assert.equal(isInternalAddress(address), expected))
})

describe('embeddedIpv4', () => {
  const cases: [string, string, string[]][] = [
    ['reads the IPv4 address of a mapped address', '::ffff:10.1.2.3', ['10.1.2.3']],
    ['reads the IPv4 address of a NAT64 address', '64:ff9b::c000:201', ['192.0.2.1']],
    ['reads the IPv4 address of a 6to4 prefix', '2002:c000:201:5::1', ['192.0.2.1']],
    [
      'reads the Teredo server and inverts the client bits',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      ['65.54.227.120', '192.0.2.45'],
    ],
    ['finds none in a plain global IPv6 address', '2606:4700::1', []],
    ['finds none in an IPv4 address', '10.0.0.1', []],
  ]
  for (const [name, address, expected] of cases)
    it(name, () => assert.deepEqual(embeddedIpv4(address), expected))
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
