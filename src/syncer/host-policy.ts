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
  // Local-use NAT64 (RFC 8215): a translator inside the network, with the IPv4 address at a
  // place only its operator knows.
  ['64:ff9b:1::', 48, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
]

const internal = new BlockList()
for (const [network, prefix, family] of INTERNAL_NETWORKS) internal.addSubnet(network, prefix, family)

const familyOf = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4')

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is checked as the IPv4 address it is. */
const unmapped = (address: string) => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1')

/** The eight 16-bit groups of an IPv6 address (zone dropped), or undefined when it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  const plain = address.replace(/%.*$/, '')
  if (isIP(plain) !== 6) return undefined
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(plain)
  const hex = dotted
    ? plain.slice(0, dotted.index) +
      [0, 2].map((i) => ((Number(dotted[i + 1]) << 8) | Number(dotted[i + 2])).toString(16)).join(':')
    : plain
  const [head = '', tail] = hex.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)))
  const first = parse(head)
  const last = tail === undefined ? [] : parse(tail)
  return [...first, ...Array<number>(8 - first.length - last.length).fill(0), ...last]
}

const ipv4Of = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')

const zeros = (groups: readonly number[]) => groups.every((group) => group === 0)

/**
 * The IPv4 addresses an IPv6 address leads to: IPv4-mapped and IPv4-compatible (RFC 4291), the
 * NAT64 well-known prefix `64:ff9b::/96` (RFC 6052), 6to4 `2002::/16` (RFC 3056) and Teredo
 * `2001::/32` (RFC 4380: its server, and its client stored inverted). A host that resolves to one
 * of them reaches that IPv4 address, so the IPv4 rules apply to it.
 */
export function embeddedIpv4(address: string): string[] {
  const g = ipv6Groups(address)
  if (!g) return []
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g
  if (zeros([g0, g1, g2, g3, g4]) && (g5 === 0xffff || g5 === 0)) return [ipv4Of(g6, g7)]
  if (g0 === 0x64 && g1 === 0xff9b && zeros([g2, g3, g4, g5])) return [ipv4Of(g6, g7)]
  if (g0 === 0x2002) return [ipv4Of(g1, g2)]
  if (g0 === 0x2001 && g1 === 0) return [ipv4Of(g2, g3), ipv4Of(g6 ^ 0xffff, g7 ^ 0xffff)]
  return []
}

export function isInternalAddress(address: string): boolean {
  const plain = unmapped(address)
  if (internal.check(plain, familyOf(plain))) return true
  return embeddedIpv4(plain).some((ipv4) => internal.check(ipv4, 'ipv4'))
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
