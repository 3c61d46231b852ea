/**
 * `hostplane verify`'s judgement of a package, pure: every file is covered by `checksum.sha256` and
 * matches it, nothing else is in the directory, MANIFEST.json describes what manifests/all.yaml
 * holds, the manifests are valid hostplane objects (the API server's rules, as `hostplane
 * validate` checks them) and hold no Secret, and every image is pinned by digest and listed.
 * Each problem is a sentence naming the file.
 */
import { parseAllDocuments } from 'yaml'
import { SHA256_DIGEST } from '../api/release.js'
import type { Release, Webspace } from '../api/resources.js'
import { formatFieldErrors, validateResource } from '../api/validate.js'
import { PACKAGE_FILES, PACKAGE_FORMAT, type PackageManifest, sha256Hex } from './release-package.js'

export type PackageVerdict =
  | { readonly ok: true; readonly manifest: PackageManifest }
  | { readonly ok: false; readonly problems: readonly string[] }

const CHECKSUM_LINE = /^([0-9a-f]{64}) [ *](.+)$/
const DIGEST_PINNED = new RegExp(`@${SHA256_DIGEST.slice(1)}`)

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function checksumProblems(files: ReadonlyMap<string, Buffer>): string[] {
  const text = files.get(PACKAGE_FILES.checksums)
  if (!text) return [`${PACKAGE_FILES.checksums} is missing: nothing proves the files are as packaged`]
  const problems: string[] = []
  const listed = new Set<string>()
  for (const [index, line] of text.toString('utf8').split('\n').entries()) {
    if (line === '') continue
    const match = CHECKSUM_LINE.exec(line)
    if (!match?.[1] || !match[2]) {
      problems.push(`${PACKAGE_FILES.checksums} line ${index + 1} is not "<sha256>  <file>"`)
      continue
    }
    const [, digest, path] = match
    listed.add(path)
    const content = files.get(path)
    if (!content) problems.push(`${path} is listed in ${PACKAGE_FILES.checksums} but missing`)
    else if (sha256Hex(content) !== digest)
      problems.push(`${path} does not match its checksum: it changed after packaging`)
  }
  for (const path of files.keys()) {
    if (path !== PACKAGE_FILES.checksums && !listed.has(path))
      problems.push(`${path} is not covered by ${PACKAGE_FILES.checksums}: it was added after packaging`)
  }
  return problems
}

function readManifest(files: ReadonlyMap<string, Buffer>): PackageManifest | string {
  const text = files.get(PACKAGE_FILES.manifest)
  if (!text) return `${PACKAGE_FILES.manifest} is missing`
  let manifest: unknown
  try {
    manifest = JSON.parse(text.toString('utf8'))
  } catch (error) {
    return `${PACKAGE_FILES.manifest} is not JSON: ${(error as Error).message}`
  }
  if (!isRecord(manifest) || manifest.format !== PACKAGE_FORMAT)
    return `${PACKAGE_FILES.manifest} is not a ${PACKAGE_FORMAT} manifest`
  for (const field of ['namespace', 'webspace', 'version', 'commit', 'branch', 'image'] as const) {
    if (typeof manifest[field] !== 'string') return `${PACKAGE_FILES.manifest} has no ${field}`
  }
  const named = isRecord(manifest.files) ? manifest.files : {}
  for (const [key, path] of Object.entries(PACKAGE_FILES)) {
    if (key in named && named[key] !== path)
      return `${PACKAGE_FILES.manifest} names ${String(named[key])} for ${key}; this format keeps it in ${path}`
  }
  return manifest as unknown as PackageManifest
}

/** The Release and the Webspace of manifests/all.yaml, or why they are not usable. */
function readObjects(text: Buffer | undefined): { release: Release; webspace: Webspace } | string[] {
  if (!text) return [`${PACKAGE_FILES.manifests} is missing`]
  const problems: string[] = []
  const found: { Release: Release[]; Webspace: Webspace[] } = { Release: [], Webspace: [] }
  for (const [index, document] of parseAllDocuments(text.toString('utf8')).entries()) {
    const where = `${PACKAGE_FILES.manifests} document ${index + 1}`
    if (document.errors.length > 0) {
      problems.push(`${where}: ${document.errors[0]?.message ?? 'not YAML'}`)
      continue
    }
    const object: unknown = document.toJS()
    if (object === null || object === undefined) continue
    const kind = isRecord(object) ? object.kind : undefined
    if (kind !== 'Release' && kind !== 'Webspace') {
      problems.push(
        `${where} is a ${String(kind)}; a package holds only a Release and its Webspace (Secrets are referenced, never included)`,
      )
      continue
    }
    const result = validateResource(object)
    if (!result.ok) {
      problems.push(`${where} (${kind}): ${formatFieldErrors(result.errors)}`)
      continue
    }
    ;(found[kind] as unknown[]).push(result.object)
  }
  const [release] = found.Release
  const [webspace] = found.Webspace
  if (found.Release.length !== 1 || found.Webspace.length !== 1 || !release || !webspace)
    problems.push(
      `${PACKAGE_FILES.manifests} must hold exactly one Release and one Webspace (found ${found.Release.length} and ${found.Webspace.length})`,
    )
  return problems.length > 0 || !release || !webspace ? problems : { release, webspace }
}

function consistencyProblems(
  manifest: PackageManifest,
  { release, webspace }: { release: Release; webspace: Webspace },
  images: Buffer | undefined,
): string[] {
  const problems: string[] = []
  const expect = (what: string, actual: unknown, wanted: unknown) => {
    if (actual !== wanted)
      problems.push(`${what} is ${String(actual)}, but ${PACKAGE_FILES.manifest} says ${String(wanted)}`)
  }
  expect('the Release name', release.metadata.name, manifest.version)
  expect("the Release's namespace", release.metadata.namespace, manifest.namespace)
  expect("the Webspace's namespace", webspace.metadata.namespace, manifest.namespace)
  expect('the Webspace', webspace.metadata.name, manifest.webspace)
  expect("the Release's webspace", release.spec.webspace, manifest.webspace)
  expect("the Release's commit", release.spec.commit, manifest.commit)
  expect("the Release's branch", release.spec.branch, manifest.branch)
  expect("the Release's image", release.spec.image, manifest.image)
  expect("the Webspace's spec.release", webspace.spec.release, manifest.version)
  if (!images) return [...problems, `${PACKAGE_FILES.images} is missing`]
  const listed = images
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
  for (const image of listed) {
    if (!DIGEST_PINNED.test(image))
      problems.push(`${PACKAGE_FILES.images} lists ${image}, which is not pinned by digest`)
  }
  if (!listed.includes(release.spec.image))
    problems.push(`${PACKAGE_FILES.images} does not list the Release's image ${release.spec.image}`)
  return problems
}

export function verifyPackage(files: ReadonlyMap<string, Buffer>): PackageVerdict {
  const problems = checksumProblems(files)
  const manifest = readManifest(files)
  if (typeof manifest === 'string') return { ok: false, problems: [...problems, manifest] }
  const objects = readObjects(files.get(PACKAGE_FILES.manifests))
  if (Array.isArray(objects)) return { ok: false, problems: [...problems, ...objects] }
  problems.push(...consistencyProblems(manifest, objects, files.get(PACKAGE_FILES.images)))
  return problems.length > 0 ? { ok: false, problems } : { ok: true, manifest }
}
