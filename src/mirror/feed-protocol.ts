/**
 * What the syncer's mirror feed says and how a mirror checks it before believing any of it. The
 * feed has three routes, all behind `Authorization: Bearer <mirror token>`:
 *
 *   GET /mirror/v1/revisions?after=<version>              every site's served revision; waits up
 *                                                          to WAIT_MS while `after` is current
 *   GET /mirror/v1/sites/<key>/trees/<tree>               the tree's manifest: files by sha256
 *   GET /mirror/v1/sites/<key>/trees/<tree>/blobs/<sha256> one file's bytes
 *
 * The state is level-based: a mirror converges on the whole list each time (a site missing from it
 * was deleted), so a restart of either side needs no replay. Nothing here touches the disk.
 */
import { isTreeId, treeId } from '../syncer/publish-store.js'
import { symlinkStaysInside, type SiteLimits } from '../syncer/tree-filter.js'
import { MirrorError } from './mirror-error.js'

export const FEED_PREFIX = '/mirror/v1'
/** How long the syncer holds a revisions request while nothing changes. */
export const WAIT_MS = 25_000

export interface SiteRevision {
  readonly key: string
  readonly tree: string
  readonly commit: string
  readonly path: string
  /** When the syncer switched it in (ISO time): the start of the propagation a mirror measures. */
  readonly publishedAt: string
}

export interface FeedState {
  /** Opaque; changes with every switch or removal, and with every syncer start. */
  readonly version: string
  readonly sites: readonly SiteRevision[]
  /**
   * Keys of sites the syncer syncs but serves no revision of (a first sync still running or
   * failing): a mirror keeps what it has of them. A site in neither list was deleted.
   */
  readonly pending: readonly string[]
}

export interface ManifestFile {
  /** '/'-separated, relative to the tree. */
  readonly path: string
  readonly size: number
  readonly sha256: string
  readonly executable: boolean
}

export interface ManifestSymlink {
  readonly path: string
  readonly target: string
}

export interface TreeManifest {
  readonly files: readonly ManifestFile[]
  readonly symlinks: readonly ManifestSymlink[]
}

export const revisionsPath = (after?: string) =>
  `${FEED_PREFIX}/revisions${after === undefined ? '' : `?after=${encodeURIComponent(after)}`}`
export const manifestPath = (key: string, tree: string) => `${FEED_PREFIX}/sites/${key}/trees/${tree}`
export const blobPath = (key: string, tree: string, sha256: string) =>
  `${manifestPath(key, tree)}/blobs/${sha256}`

/** A site key as `siteKey` makes them: one path segment that cannot name the store's own directory. */
export const isSiteKey = (key: string) => key.length <= 253 && /^[a-z0-9][a-z0-9.-]*$/.test(key)
export const isSha256 = (text: string) => /^[0-9a-f]{64}$/.test(text)

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A path a tree may hold: relative, no empty, `.`, `..` or `.git` segment. */
const isTreePath = (path: string) =>
  path.length > 0 &&
  path.length <= 4096 &&
  !path.includes('\0') &&
  path
    .split('/')
    .every((part) => part !== '' && part !== '.' && part !== '..' && part.toLowerCase() !== '.git')

const invalid = (what: string) => new MirrorError('HP_ERR_MIRROR_FEED_INVALID', what)

/** The revisions answer, checked: keys and trees are names the store accepts, each tree is its commit's. */
export function parseFeedState(body: unknown, maxSites: number): FeedState {
  if (
    !isRecord(body) ||
    typeof body.version !== 'string' ||
    !Array.isArray(body.sites) ||
    !Array.isArray(body.pending)
  )
    throw invalid('the syncer answered revisions without a version and lists of sites')
  if (body.sites.length + body.pending.length > maxSites)
    throw invalid(
      `the syncer lists ${body.sites.length + body.pending.length} sites, more than --max-sites ${maxSites}`,
    )
  const pending = body.pending.map((key: unknown) => {
    if (typeof key !== 'string' || !isSiteKey(key))
      throw invalid(`pending site ${JSON.stringify(String(key).slice(0, 100))} is not a site key`)
    return key
  })
  const keys = new Set<string>()
  const sites = body.sites.map((site: unknown): SiteRevision => {
    if (
      !isRecord(site) ||
      typeof site.key !== 'string' ||
      typeof site.tree !== 'string' ||
      typeof site.commit !== 'string' ||
      typeof site.path !== 'string' ||
      typeof site.publishedAt !== 'string'
    )
      throw invalid('a site in the revisions answer lacks key, tree, commit, path or publishedAt')
    if (!isSiteKey(site.key) || keys.has(site.key))
      throw invalid(`site key ${JSON.stringify(site.key.slice(0, 100))} is not a site key or is listed twice`)
    if (!isTreeId(site.tree) || site.tree !== treeId(site.commit, site.path))
      throw invalid(
        `site ${site.key}: tree ${JSON.stringify(site.tree.slice(0, 100))} is not the tree of its commit and path`,
      )
    keys.add(site.key)
    return {
      key: site.key,
      tree: site.tree,
      commit: site.commit,
      path: site.path,
      publishedAt: site.publishedAt,
    }
  })
  return { version: body.version, sites, pending }
}

/** A manifest, checked against the limits before a byte of it is fetched. */
export function parseManifest(site: string, body: unknown, limits: SiteLimits): TreeManifest {
  const refuse = (what: string) => invalid(`site ${site}: the manifest ${what}`)
  if (!isRecord(body) || !Array.isArray(body.files) || !Array.isArray(body.symlinks))
    throw refuse('has no files and symlinks')
  if (body.files.length + body.symlinks.length > limits.maxFiles)
    throw refuse(`lists ${body.files.length + body.symlinks.length} entries, the limit is ${limits.maxFiles}`)
  const paths = new Set<string>()
  const claim = (path: unknown): string => {
    if (typeof path !== 'string' || !isTreePath(path) || paths.has(path))
      throw refuse(
        `names a path that is unsafe or listed twice: ${JSON.stringify(String(path).slice(0, 200))}`,
      )
    paths.add(path)
    return path
  }
  let bytes = 0
  const files = body.files.map((file: unknown): ManifestFile => {
    if (!isRecord(file) || typeof file.sha256 !== 'string' || !isSha256(file.sha256))
      throw refuse('lists a file without a sha256')
    const path = claim(file.path)
    const size = file.size
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > limits.maxFileBytes)
      throw refuse(`gives ${path} a size beyond the limit of ${limits.maxFileBytes} bytes`)
    bytes += size
    return { path, size, sha256: file.sha256, executable: file.executable === true }
  })
  if (bytes > limits.maxSiteBytes)
    throw refuse(`adds up to ${bytes} bytes, the limit is ${limits.maxSiteBytes}`)
  const symlinks = body.symlinks.map((link: unknown): ManifestSymlink => {
    if (!isRecord(link) || typeof link.target !== 'string') throw refuse('lists a symlink without a target')
    return { path: claim(link.path), target: link.target }
  })
  const targets = new Map(symlinks.map((link) => [link.path, link.target]))
  for (const link of symlinks)
    if (!symlinkStaysInside(link.path, link.target, targets))
      throw refuse(`has a symlink ${link.path} that leaves the site`)
  // A path under a file or a symlink would be written through it.
  for (const path of paths) {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++)
      if (paths.has(parts.slice(0, i).join('/'))) throw refuse(`puts ${path} under a file or symlink`)
  }
  return { files, symlinks }
}
