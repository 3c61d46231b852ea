/**
 * What `hostplane releases` and `hostplane rollback` do once their flags are parsed, with the
 * user's own kubeconfig (so Kubernetes RBAC decides: a tenant reads its Releases and edits its
 * Webspaces). `releases` prints a webspace's Releases, newest first, and which one runs;
 * `rollback` checks the Release is one of the webspace's that can run, then sets the Webspace's
 * spec.release, which the operator rolls out like a push (with the same health gate).
 */
import { API_VERSION } from '../api/kind.js'
import type { Release, Webspace } from '../api/resources.js'
import { loadKubeConfig } from '../kube/kubeconfig.js'
import type { KubeList } from '../kube/object.js'
import { KubeRest, resourcePath } from '../kube/rest.js'
import { apiRefusal as refusal } from './api-refusal.js'
import { WEBSPACE_LABEL } from '../api/webspace.js'

export interface ReleaseFlags {
  namespace?: string
  kubeconfig?: string
}

type Api = Pick<KubeRest, 'request'>

const webspacePath = (namespace: string, name: string) =>
  resourcePath({ apiVersion: API_VERSION, plural: 'webspaces', namespace, name })
const releasesPath = (namespace: string, name?: string) =>
  resourcePath({ apiVersion: API_VERSION, plural: 'releases', namespace, name })

async function read<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request()
  } catch (error) {
    throw refusal(error, what)
  }
}

/** A webspace and its Releases (by the webspace its spec names), newest first. */
export async function webspaceReleases(
  api: Api,
  namespace: string,
  name: string,
): Promise<{ webspace: Webspace; releases: Release[] }> {
  const webspace = await read(`Webspace ${namespace}/${name}`, () =>
    api.request<Webspace>('GET', webspacePath(namespace, name)),
  )
  const list = await read(`the Releases of ${namespace}`, () =>
    api.request<KubeList<Release>>('GET', releasesPath(namespace), {
      query: { labelSelector: `${WEBSPACE_LABEL}=${name}` },
    }),
  )
  const releases = list.items
    .filter((r) => r.spec.webspace === name)
    .sort(
      (a, b) =>
        (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
        b.metadata.name.localeCompare(a.metadata.name),
    )
  return { webspace, releases }
}

/** kubectl's short age: 45s, 12m, 5h, 3d. */
export function age(created: string | undefined, now: Date): string {
  if (!created) return '?'
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(created)) / 1000))
  if (seconds < 120) return `${seconds}s`
  if (seconds < 2 * 3600) return `${Math.floor(seconds / 60)}m`
  if (seconds < 2 * 86400) return `${Math.floor(seconds / 3600)}h`
  return `${Math.floor(seconds / 86400)}d`
}

/** What a Release is to its webspace: running, previous, failed, and whether spec.release pins it. */
export function releaseState(webspace: Webspace, release: Release): string {
  const name = release.metadata.name
  const { status = {}, spec } = webspace
  const states = [
    name === status.release ? 'running' : undefined,
    name === status.previousRelease ? 'previous' : undefined,
    status.failedReleases?.includes(name) ? 'failed' : undefined,
    name === spec.release ? 'pinned' : undefined,
  ].filter((s) => s !== undefined)
  return states.join(',')
}

/** `repository@sha256:<12 hex>`: the digest says which image, the rest fits a terminal. */
const shortImage = (image: string) => image.replace(/@sha256:([0-9a-f]{12})[0-9a-f]{52}$/, '@sha256:$1')

/** The table `hostplane releases` prints, columns padded as kubectl pads them. */
export function releasesTable(webspace: Webspace, releases: readonly Release[], now: Date): string {
  const rows = [
    ['NAME', 'BRANCH', 'COMMIT', 'IMAGE', 'PUSHED BY', 'AGE', 'STATE'],
    ...releases.map((r) => [
      r.metadata.name,
      r.spec.branch,
      r.spec.commit.slice(0, 12),
      shortImage(r.spec.image),
      `${r.spec.pushedBy.key} (${r.spec.pushedBy.fingerprint.slice(0, 19)}…)`,
      age(r.metadata.creationTimestamp, now),
      releaseState(webspace, r),
    ]),
  ]
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? []
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('   ')
        .trimEnd(),
    )
    .join('\n')
}

export async function listReleases(api: Api, namespace: string, name: string, now: Date): Promise<string> {
  const { webspace, releases } = await webspaceReleases(api, namespace, name)
  if (releases.length === 0)
    return `Webspace ${namespace}/${name} has no Releases yet: push to its branch ${webspace.spec.git.branch}`
  return releasesTable(webspace, releases, now)
}

/**
 * Pins `releaseName` in the webspace's spec.release, after checking it is one of its Releases and
 * did not fail its rollout (the operator would not run it). Returns what to tell the user.
 */
export async function rollback(
  api: Api,
  namespace: string,
  name: string,
  releaseName: string,
): Promise<string> {
  const { webspace, releases } = await webspaceReleases(api, namespace, name)
  const target = releases.find((r) => r.metadata.name === releaseName)
  const what = `Webspace ${namespace}/${name}`
  if (!target) {
    const other = await api
      .request<Release>('GET', releasesPath(namespace, releaseName))
      .catch(() => undefined)
    if (other)
      throw new Error(`Release ${releaseName} belongs to webspace ${other.spec.webspace}, not to ${name}`)
    const kept = releases.map((r) => r.metadata.name).join(', ')
    throw new Error(
      `${what} has no Release ${releaseName}${kept ? `: pick one of ${kept}` : ': it has no Releases yet'}`,
    )
  }
  if (webspace.status?.failedReleases?.includes(releaseName))
    throw new Error(
      `Release ${releaseName} failed its rollout and was rolled back; the operator does not run it again: push a fix or pick another Release`,
    )
  if (webspace.spec.release === releaseName)
    return `${what} already runs pinned Release ${releaseName} (${target.spec.commit.slice(0, 12)})`
  await read(what, () =>
    api.request('PATCH', webspacePath(namespace, name), {
      body: { spec: { release: releaseName } },
      contentType: 'application/merge-patch+json',
    }),
  )
  return `${what}: spec.release=${releaseName} (${target.spec.branch}@${target.spec.commit.slice(0, 12)}); the operator rolls it out and goes back by itself if it does not become Available (hostplane releases ${name} shows which runs)`
}

/** The command's client and namespace from the user's kubeconfig. */
export async function withKube<T>(
  flags: ReleaseFlags,
  userAgent: string,
  run: (api: KubeRest, namespace: string) => Promise<T>,
): Promise<T> {
  const kubeConfig = await loadKubeConfig({ file: flags.kubeconfig })
  const rest = new KubeRest(kubeConfig, { userAgent })
  try {
    return await run(rest, flags.namespace ?? kubeConfig.namespace ?? 'default')
  } finally {
    rest.close()
  }
}
