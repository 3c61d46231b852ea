/**
 * Branch previews: a webspace with `spec.git.previews.enabled` runs the newest Release of each
 * other branch beside production, at `<branch>--<webspace>-<namespace>.<preview domain>` (the
 * operator's --preview-domain; none without it), until the branch's last push is older than
 * `spec.git.previews.ttl` or its Releases are gone. A preview is a Deployment, a Service and an
 * IngressRoute named `<webspace>-p-<branch hash 8>` in the webspace's namespace, owned by it
 * (so the namespace's quota counts it): one replica of the webspace's size, no storage, no
 * autoscaler, no Certificate (the TLS store's default certificate, a wildcard for the preview
 * domain, serves it), and none of the env entries marked `productionOnly`. Its pods carry their
 * own selector label, so the production Service never sends them traffic. Pure.
 */
import { branchHash } from '../../api/release.js'
import type { Customer, Release, Runtime, Webspace } from '../../api/resources.js'
import type { Manifest } from '../../kube/object.js'
import { renderWebspace, type WebspaceConfig } from './render.js'
import { newestFirst } from './rollout.js'
import { WEBSPACE_LABEL } from '../../api/webspace.js'

/** On a preview's objects: the hash of its branch (the objects are still labelled with the webspace). */
export const PREVIEW_LABEL = 'hostplane.dev/preview'

export interface Preview {
  readonly branch: string
  readonly release: Release
  /** `<webspace>-p-<branch hash 8>`: every object of the preview. */
  readonly name: string
  readonly host: string
  /** When its branch's last push is older than the ttl. */
  readonly expires: Date
}

const DNS_LABEL_MAX = 63

/** A Go duration of hours, minutes and seconds (the schema allows no more) in milliseconds. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }
  let total = 0
  for (const [, value, unit] of text.matchAll(/([0-9.]+)(ms|h|m|s)/g))
    total += Number(value) * (units[unit ?? ''] ?? 0)
  return total
}

/**
 * The preview's host label: `<branch>--<webspace>-<namespace>` when the branch is a DNS label
 * already, else `b<hash 8>--…`; undefined when even that exceeds 63 characters (no preview).
 */
export function previewLabel(branch: string, webspace: string, namespace: string): string | undefined {
  const rest = `--${webspace}-${namespace}`
  const readable = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(branch) && !branch.includes('--')
  const label =
    readable && branch.length + rest.length <= DNS_LABEL_MAX ? branch : `b${branchHash(branch).slice(0, 8)}`
  return label.length + rest.length <= DNS_LABEL_MAX ? `${label}${rest}` : undefined
}

/** The previews a webspace should have now: one per other branch with a Release pushed within the ttl. */
export function previewsOf(
  webspace: Webspace,
  releases: readonly Release[],
  previewDomain: string | undefined,
  now: Date,
): Preview[] {
  const previews = webspace.spec.git.previews
  if (!previewDomain || !previews?.enabled) return []
  const ttl = durationMs(previews.ttl)
  const newest = new Map<string, Release>()
  for (const release of [...releases].sort(newestFirst))
    if (release.spec.branch !== webspace.spec.git.branch && !newest.has(release.spec.branch))
      newest.set(release.spec.branch, release)
  const { name, namespace = '' } = webspace.metadata
  return [...newest.entries()].flatMap(([branch, release]) => {
    const expires = new Date(Date.parse(release.metadata.creationTimestamp ?? '') + ttl)
    const label = previewLabel(branch, name, namespace)
    if (!label || !(expires > now)) return []
    return [
      {
        branch,
        release,
        name: `${name}-p-${branchHash(branch).slice(0, 8)}`,
        host: `${label}.${previewDomain}`,
        expires,
      },
    ]
  })
}

/** The objects of one preview, rendered as the webspace's own with the differences above. */
export function renderPreview(
  webspace: Webspace,
  runtime: Runtime,
  customer: Customer,
  config: WebspaceConfig,
  preview: Preview,
): Manifest[] {
  const productionOnly = new Set((webspace.spec.env ?? []).filter((e) => e.productionOnly).map((e) => e.name))
  const variant: Webspace = {
    ...webspace,
    metadata: { ...webspace.metadata, name: preview.name },
    spec: {
      ...webspace.spec,
      replicas: 1,
      domains: [preview.host],
      tls: { mode: 'none' },
      storage: undefined,
      env: webspace.spec.env?.filter((e) => !e.productionOnly),
    },
  }
  const shared: Customer = { ...customer, spec: { ...customer.spec, tier: 'shared' } }
  const rendered = renderWebspace(
    variant,
    {
      ...runtime,
      spec: { ...runtime.spec, env: runtime.spec.env?.filter((e) => !productionOnly.has(e.name)) },
    },
    shared,
    config,
    {
      image: preview.release.spec.image,
    },
  )
  const hash = branchHash(preview.branch).slice(0, 8)
  return rendered.map((object) => ({
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...object.metadata.labels, [WEBSPACE_LABEL]: webspace.metadata.name, [PREVIEW_LABEL]: hash },
      // Owned by the webspace itself: deleting it (or the preview's end) removes them.
      ownerReferences: object.metadata.ownerReferences?.map((o) => ({ ...o, name: webspace.metadata.name })),
    },
    ...(object.kind === 'IngressRoute' ? { spec: { ...(object.spec as object), tls: {} } } : {}),
  }))
}
