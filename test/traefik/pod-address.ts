/**
 * A routable address for processes the tests run on this machine, so an EndpointSlice can point
 * Traefik at them. There is no kubelet or kube-proxy, and the API server refuses loopback and
 * link-local endpoint addresses, so each run creates a network namespace with a veth pair and
 * gives the host end a private /30 (10.213.0.0/16); a server listening on that address in the host
 * namespace is what a pod IP would be. A pod network (createPodNetwork) puts the other address of
 * the /30 in the namespace instead, for processes that run there as a pod's. Needs root (CAP_NET_ADMIN) and iproute2; outside CI a
 * machine without them skips the suites that need it, under CI=true that is a failure.
 */
import { execFileSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { isCI } from '../cluster/paths.js'
import { isAlive, run, runOrThrow } from '../cluster/process.js'

const NAMESPACE_PREFIX = 'hostplane-'

export interface PodAddress {
  readonly address: string
  release(): Promise<void>
}

const ip = (args: readonly string[]) => runOrThrow('ip', args, { timeoutMs: 10_000 })

/** Network namespaces left by runs that died (named after their pid) are deleted. */
async function removeStale(): Promise<void> {
  const { stdout } = await ip(['netns', 'list'])
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? ''
    const pid = Number(name.slice(NAMESPACE_PREFIX.length).split('-')[0])
    if (name.startsWith(NAMESPACE_PREFIX) && pid && !isAlive(pid))
      await run('ip', ['netns', 'del', name], { timeoutMs: 10_000 })
  }
}

let created = 0

export interface PodNetwork extends PodAddress {
  /** The network namespace (`ip netns`) a pod's processes run in, holding `address`. */
  readonly namespace: string
  /** The host end of the pair: the pod's default route, through which it reaches the host's servers. */
  readonly gateway: string
}

/** An address on this host, for a server of the test listening in the host's network namespace. */
export async function createPodAddress(): Promise<PodAddress> {
  const { gateway, release } = await createPair(false)
  return { address: gateway, release }
}

/**
 * A pod's own network: a namespace whose end of the pair holds the pod IP, with loopback and a
 * default route to the host end, so servers of two pods may listen on the same port and a pod
 * reaches the host's addresses as it would reach the node.
 */
export async function createPodNetwork(): Promise<PodNetwork> {
  return createPair(true)
}

async function createPair(podEnd: boolean): Promise<PodNetwork> {
  await removeStale()
  const used = (await ip(['-4', '-o', 'addr'])).stdout
  let subnet: number
  let gateway: string
  do {
    subnet = randomInt(0, 2 ** 14)
    gateway = `10.213.${subnet >> 6}.${((subnet & 63) << 2) + 1}`
  } while (used.includes(` ${gateway}/`))
  const address = `10.213.${subnet >> 6}.${((subnet & 63) << 2) + 2}`
  const suffix = `${process.pid}-${created++}`
  const namespace = `${NAMESPACE_PREFIX}${suffix}`
  // Interface names are at most 15 bytes; the host end carries the gateway address, the peer the
  // pod's (or none, when only the host end is wanted and the peer just makes the link come up).
  const host = `hp${suffix}`
  await ip(['netns', 'add', namespace])
  // Deleting the namespace deletes the veth pair with it; on exit only synchronous work runs.
  const onExit = () => execFileSync('ip', ['netns', 'del', namespace], { stdio: 'ignore', timeout: 10_000 })
  process.once('exit', onExit)
  const release = async () => {
    process.off('exit', onExit)
    await run('ip', ['netns', 'del', namespace], { timeoutMs: 10_000 })
  }
  try {
    await ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', 'peer0', 'netns', namespace])
    await ip(['addr', 'add', `${gateway}/30`, 'dev', host])
    await ip(['link', 'set', host, 'up'])
    await ip(['-n', namespace, 'link', 'set', 'peer0', 'up'])
    if (podEnd) {
      await ip(['-n', namespace, 'addr', 'add', `${address}/30`, 'dev', 'peer0'])
      await ip(['-n', namespace, 'link', 'set', 'lo', 'up'])
      await ip(['-n', namespace, 'route', 'add', 'default', 'via', gateway])
    }
  } catch (error) {
    await release()
    throw error
  }
  return { address, gateway, namespace, release }
}

/** Reason the suites that need a pod address cannot run here, or false when they can. */
export async function podAddressUnavailable(): Promise<string | false> {
  try {
    await (await createPodAddress()).release()
    return false
  } catch (error) {
    const reason = `tests through Traefik not run: cannot create a veth pair (root and iproute2 needed): ${(error as Error).message}`
    if (isCI()) throw new Error(reason)
    return reason
  }
}
