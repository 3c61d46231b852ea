/**
 * A Release as an immutable deployment package (seed 004): a directory that, applied as it is,
 * runs exactly that build again — the Release record and the Webspace pinned to it
 * (`spec.release`), the image digests it runs, the names of the Secrets it needs (never their
 * values) and a `checksum.sha256` over every other file, in `sha256sum` format, so `sha256sum -c`
 * and `hostplane verify` agree. Pure: the objects in, the files out.
 */
import { createHash } from 'node:crypto'
import { stringify } from 'yaml'
import { API_VERSION } from '../api/kind.js'
import type { Release, Webspace } from '../api/resources.js'

export const PACKAGE_FORMAT = 'hostplane.dev/package/v1'

export const PACKAGE_FILES = {
  manifest: 'MANIFEST.json',
  manifests: 'manifests/all.yaml',
  images: 'images.txt',
  secretsRef: 'secrets-ref.txt',
  checksums: 'checksum.sha256',
} as const

/** MANIFEST.json: what the package is, where it came from and which file holds what. */
export interface PackageManifest {
  readonly format: typeof PACKAGE_FORMAT
  readonly customer: string
  readonly namespace: string
  readonly webspace: string
  /** The Release's name: a package's version. */
  readonly version: string
  readonly commit: string
  readonly branch: string
  readonly image: string
  readonly strategy: string
  readonly pushedBy: Release['spec']['pushedBy']
  readonly buildLogDigest: string
  readonly created: string
  readonly createdBy: string
  readonly source: { readonly releaseUid: string; readonly releaseCreated: string }
  readonly files: {
    readonly manifests: string
    readonly images: string
    readonly secretsRef: string
  }
}

export interface PackageInput {
  readonly release: Release
  readonly webspace: Webspace
  readonly created: Date
  /** e.g. `hostplane package 0.1.0`. */
  readonly createdBy: string
}

export interface PackageFile {
  readonly path: string
  readonly content: Buffer
}

export const sha256Hex = (content: Buffer) => createHash('sha256').update(content).digest('hex')

/** The object as one would apply it: identity, labels and spec; nothing the API server owns. */
function applicable<T extends Release | Webspace>(object: T, spec: T['spec']) {
  const { name, namespace, labels } = object.metadata
  return {
    apiVersion: API_VERSION,
    kind: object.kind,
    metadata: { name, namespace, ...(labels && Object.keys(labels).length > 0 ? { labels } : {}) },
    spec,
  }
}

/** Secrets the Webspace reads, as `<name> <key>,<key>` lines: what must exist before applying. */
export function secretReferences(webspace: Webspace): string[] {
  const keys = new Map<string, Set<string>>()
  for (const entry of webspace.spec.env ?? []) {
    if (!entry.secretKeyRef) continue
    const set = keys.get(entry.secretKeyRef.name) ?? new Set<string>()
    set.add(entry.secretKeyRef.key)
    keys.set(entry.secretKeyRef.name, set)
  }
  const { tls } = webspace.spec
  if (tls.mode === 'secret' && tls.secretName)
    keys.set(tls.secretName, new Set([...(keys.get(tls.secretName) ?? []), 'tls.crt', 'tls.key']))
  return [...keys]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, set]) => `${name} ${[...set].sort().join(',')}`)
}

/** `sha256sum` lines (two spaces: text mode), sorted by path. */
export const checksumLines = (files: readonly PackageFile[]) =>
  [...files]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((file) => `${sha256Hex(file.content)}  ${file.path}\n`)
    .join('')

export function renderReleasePackage({ release, webspace, created, createdBy }: PackageInput): PackageFile[] {
  const name = release.metadata.name
  const namespace = release.metadata.namespace ?? ''
  if (release.spec.webspace !== webspace.metadata.name || webspace.metadata.namespace !== namespace)
    throw new Error(
      `Release ${namespace}/${name} belongs to Webspace ${release.spec.webspace}, not ${webspace.metadata.namespace}/${webspace.metadata.name}`,
    )
  const manifest: PackageManifest = {
    format: PACKAGE_FORMAT,
    customer: release.spec.pushedBy.customer,
    namespace,
    webspace: webspace.metadata.name,
    version: name,
    commit: release.spec.commit,
    branch: release.spec.branch,
    image: release.spec.image,
    strategy: release.spec.strategy,
    pushedBy: release.spec.pushedBy,
    buildLogDigest: release.spec.buildLog.digest,
    created: created.toISOString(),
    createdBy,
    source: {
      releaseUid: release.metadata.uid ?? '',
      releaseCreated: release.metadata.creationTimestamp ?? '',
    },
    files: {
      manifests: PACKAGE_FILES.manifests,
      images: PACKAGE_FILES.images,
      secretsRef: PACKAGE_FILES.secretsRef,
    },
  }
  // The Webspace as its owner wrote it, pinned to this Release (which wins over a prebuilt `image`).
  const objects = [
    applicable(release, release.spec),
    applicable(webspace, { ...webspace.spec, release: name }),
  ]
  const secrets = secretReferences(webspace)
  const files: PackageFile[] = [
    { path: PACKAGE_FILES.manifest, content: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
    {
      path: PACKAGE_FILES.manifests,
      content: Buffer.from(objects.map((object) => `---\n${stringify(object)}`).join('')),
    },
    { path: PACKAGE_FILES.images, content: Buffer.from(`${release.spec.image}\n`) },
    {
      path: PACKAGE_FILES.secretsRef,
      content: Buffer.from(
        `# Secrets in ${namespace} this package reads (name, then keys); create them before applying.\n${secrets.map((line) => `${line}\n`).join('')}`,
      ),
    },
  ]
  return [...files, { path: PACKAGE_FILES.checksums, content: Buffer.from(checksumLines(files)) }]
}
