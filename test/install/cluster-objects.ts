/**
 * Every object of a cluster, found by discovery and listed with the admin's rights, so a test can
 * say which objects a step wrote: each has a version (its resourceVersion) that any write moves.
 * Events and Leases are left out: components write them all the time by design (heartbeats,
 * leader election), not as a consequence of what a test does.
 */
import { isDeepStrictEqual } from 'node:util'
import type { KubeList, Manifest } from '../../src/kube/object.js'
import { KubeApiError, type KubeRest } from '../../src/kube/rest.js'
import { sleep, waitFor } from '../cluster/process.js'

interface ApiResource {
  readonly name: string
  readonly kind: string
  readonly verbs: readonly string[]
}
interface ApiGroups {
  readonly groups: readonly { readonly preferredVersion: { readonly groupVersion: string } }[]
}

const LEFT_OUT = new Set(['Event', 'Lease'])

/** `<apiVersion> <kind> <namespace>/<name>`, or without the namespace for cluster-scoped objects. */
export const objectId = (object: Manifest) =>
  `${object.apiVersion} ${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`

export type ClusterObjects = ReadonlyMap<string, Manifest>

export async function clusterObjects(admin: KubeRest): Promise<ClusterObjects> {
  const groups = await admin.request<ApiGroups>('GET', '/apis')
  const versions = ['v1', ...groups.groups.map((g) => g.preferredVersion.groupVersion)]
  const objects = new Map<string, Manifest>()
  for (const groupVersion of versions) {
    const base = groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`
    const { resources } = await admin.request<{ resources: ApiResource[] }>('GET', base)
    for (const resource of resources) {
      if (resource.name.includes('/') || !resource.verbs.includes('list') || LEFT_OUT.has(resource.kind))
        continue
      // A CRD applied a moment ago answers 429 while its storage initializes.
      const list = await waitFor(
        () =>
          admin.request<KubeList<Manifest>>('GET', `${base}/${resource.name}`).catch((error: unknown) => {
            if (error instanceof KubeApiError && error.status === 429) return undefined
            throw error
          }),
        { timeoutMs: 30_000, intervalMs: 250, describe: () => `${base}/${resource.name} kept answering 429` },
      )
      for (const item of list.items) {
        const object = { ...item, apiVersion: groupVersion, kind: resource.kind }
        objects.set(objectId(object), object)
      }
    }
  }
  return objects
}

/** Objects created, deleted or written between two listings. */
export function objectsWritten(before: ClusterObjects, after: ClusterObjects): string[] {
  const ids = new Set([...before.keys(), ...after.keys()])
  return [...ids]
    .filter((id) => before.get(id)?.metadata.resourceVersion !== after.get(id)?.metadata.resourceVersion)
    .sort()
}

/**
 * Whether an object differs in anything but its version and its managed fields' times and order
 * (a manager's entry moves to the end when it writes again, with the same fields).
 */
export function changedBeyondVersion(before: Manifest | undefined, after: Manifest | undefined): boolean {
  const visible = (object: Manifest | undefined) => {
    if (!object) return undefined
    const copy = structuredClone(object) as Manifest & {
      metadata: { managedFields?: { time?: string }[] }
    }
    delete copy.metadata.resourceVersion
    for (const field of copy.metadata.managedFields ?? []) delete field.time
    copy.metadata.managedFields?.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    return copy
  }
  return !isDeepStrictEqual(visible(before), visible(after))
}

/**
 * Lists the cluster until two listings `quietMs` apart are the same: the controllers have done
 * what the last step asked of them. Returns that listing.
 */
export async function quietClusterObjects(
  admin: KubeRest,
  { quietMs = 3000, timeoutMs = 90_000 } = {},
): Promise<ClusterObjects> {
  const deadline = Date.now() + timeoutMs
  let last = await clusterObjects(admin)
  for (;;) {
    await sleep(quietMs)
    const next = await clusterObjects(admin)
    const written = objectsWritten(last, next)
    if (written.length === 0) return next
    if (Date.now() > deadline)
      throw new Error(`the cluster was still being written after ${timeoutMs} ms: ${written.join(', ')}`)
    last = next
  }
}
