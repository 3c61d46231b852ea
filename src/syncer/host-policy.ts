/**
 * Which Git hosts the syncer may reach: the `--allowed-hosts` list (exact names or `*.suffix`),
 * and, after DNS, no loopback, link-local, private or otherwise internal address unless its
 * network is explicitly allowed (`--allow-private-networks`). The address that passed the check
 * is the one git connects to (pinned with `http.curloptResolve`), so a DNS answer that changes
 * between our check and git's connect cannot point it inside the cluster.
 */
import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import type { RepoUrl } from './repo-url.js'
import { SyncError } from './sync-error.js'

export interface HostPolicyOptions {
  /** Host names (`git.example.com`) or suffix patterns (`*.example.com`). Required, non-empty. */
  readonly allowedHosts: readonly string[]
  /** CIDRs of internal networks git may still reach, e.g. `127.0.0.1/32` for tests. Default none. */
  readonly allowedPrivateNetworks?: readonly string[]
  /** DNS resolution; injected so tests decide what a name resolves to. */
  readonly resolve?: (host: string) => Promise<readonly string[]>
}

/** Addresses no public Git host has (IANA special-purpose registries). */
const INTERNAL_NETWORKS: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
]

const internal = new BlockList()
for (const [network, prefix, family] of INTERNAL_NETWORKS) internal.addSubnet(network, prefix, family)

const familyOf = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4')

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is checked as the IPv4 address it is. */
const unmapped = (address: string) => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1')

export function isInternalAddress(address: string): boolean {
  const plain = unmapped(address)
  return internal.check(plain, familyOf(plain))
}

export function hostIsAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '')
  return allowedHosts.some((pattern) => {
    const p = pattern.toLowerCase()
    return p.startsWith('*.') ? name.endsWith(p.slice(1)) && name.length > p.length - 1 : name === p
  })
}

export class HostPolicy {
  private readonly allowedNetworks = new BlockList()
  private readonly resolve: (host: string) => Promise<readonly string[]>

  constructor(private readonly options: HostPolicyOptions) {
    if (options.allowedHosts.length === 0) throw new Error('the allowed-hosts list must not be empty')
    for (const cidr of options.allowedPrivateNetworks ?? []) {
      const [network = '', prefix] = cidr.split('/')
      if (!isIP(network)) throw new Error(`allowed private network ${JSON.stringify(cidr)} is not a CIDR`)
      const family = familyOf(network)
      const bits = prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix)
      if (!Number.isInteger(bits))
        throw new Error(`allowed private network ${JSON.stringify(cidr)} is not a CIDR`)
      this.allowedNetworks.addSubnet(network, bits, family)
    }
    this.resolve =
      options.resolve ??
      (async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address))
  }

  /**
   * The address git must connect to for this repository, or a SyncError saying why not. Every
   * address the name resolves to must pass, so no answer rotation can slip an internal one in.
   */
  async check(repo: RepoUrl): Promise<string> {
    if (!hostIsAllowed(repo.host, this.options.allowedHosts))
      throw new SyncError(
        'HP_ERR_SYNC_HOST_NOT_ALLOWED',
        `host not allowed: ${repo.host} is not in the syncer's --allowed-hosts; ask the platform operator to allow it`,
      )
    let addresses: readonly string[]
    try {
      addresses = isIP(repo.host) ? [repo.host] : await this.resolve(repo.host)
    } catch (error) {
      throw new SyncError(
        'HP_ERR_SYNC_GIT_FAILED',
        `cannot resolve ${repo.host}: ${(error as Error).message}`,
      )
    }
    if (addresses.length === 0)
      throw new SyncError('HP_ERR_SYNC_GIT_FAILED', `cannot resolve ${repo.host}: no addresses`)
    for (const address of addresses) {
      const plain = unmapped(address)
      if (isInternalAddress(plain) && !this.allowedNetworks.check(plain, familyOf(plain)))
        throw new SyncError(
          'HP_ERR_SYNC_HOST_NOT_ALLOWED',
          `host not allowed: ${repo.host} resolves to the internal address ${address}`,
        )
    }
    return unmapped(addresses[0] as string)
  }
}
