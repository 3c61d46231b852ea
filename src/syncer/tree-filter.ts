/**
 * Which entries of a commit's tree get published. Decided from `git ls-tree` output alone, before
 * anything is written: git metadata (`.git` anywhere), paths with `.`, `..` or empty segments and
 * submodules are never published,
 * symlinks whose target leaves the published tree (absolute, `../`, through other symlinks, into
 * another site) are dropped and reported, and the size limits refuse the whole commit.
 */
import { SyncError } from './sync-error.js'

export interface TreeEntry {
  /** Octal mode as git prints it: 100644, 100755, 120000 (symlink), 160000 (submodule). */
  readonly mode: string
  readonly oid: string
  /** Blob size in bytes (0 for submodules). */
  readonly size: number
  /** Path relative to the published directory, '/'-separated. */
  readonly path: string
}

export interface SiteLimits {
  /** Largest single file. Default 100 MiB (GitHub's file limit). */
  readonly maxFileBytes: number
  /** Largest published tree. Default 1 GiB (GitHub Pages' site limit). */
  readonly maxSiteBytes: number
  /** Most files in a published tree. Default 100 000. */
  readonly maxFiles: number
}

export const DEFAULT_LIMITS: SiteLimits = {
  maxFileBytes: 100 * 1024 ** 2,
  maxSiteBytes: 1024 ** 3,
  maxFiles: 100_000,
}

export interface DroppedEntry {
  readonly path: string
  readonly why: string
}

export interface FilteredTree {
  readonly entries: readonly TreeEntry[]
  readonly dropped: readonly DroppedEntry[]
  readonly bytes: number
}

export const SYMLINK = '120000'
export const SUBMODULE = '160000'
const MAX_SYMLINK_HOPS = 40

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`
}

const isGitMetadata = (path: string) => path.split('/').some((part) => part.toLowerCase() === '.git')

/** A crafted tree may hold names a checkout refuses; said here rather than skipped by git unseen. */
const isUnwritablePath = (path: string) =>
  path.split('/').some((part) => part === '' || part === '.' || part === '..')

/**
 * Resolves a symlink the way the kernel would inside the published tree, following the tree's
 * other symlinks; false when any step leaves the tree or the chain does not end.
 */
export function symlinkStaysInside(
  path: string,
  target: string,
  symlinks: ReadonlyMap<string, string>,
): boolean {
  if (target.startsWith('/') || target.length === 0) return false
  const stack = path.split('/').slice(0, -1)
  const pending = target.split('/')
  let hops = 0
  while (pending.length > 0) {
    const part = pending.shift() as string
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (stack.length === 0) return false
      stack.pop()
      continue
    }
    stack.push(part)
    const link = symlinks.get(stack.join('/'))
    if (link === undefined) continue
    if (++hops > MAX_SYMLINK_HOPS || link.startsWith('/') || link.length === 0) return false
    stack.pop()
    pending.unshift(...link.split('/'))
  }
  return true
}

/** Applies the publishing rules; `symlinkTargets` maps each symlink's path to its target. */
export function filterTree(
  entries: readonly TreeEntry[],
  symlinkTargets: ReadonlyMap<string, string>,
  limits: SiteLimits,
): FilteredTree {
  const kept: TreeEntry[] = []
  const dropped: DroppedEntry[] = []
  let bytes = 0
  for (const entry of entries) {
    if (isGitMetadata(entry.path)) {
      dropped.push({ path: entry.path, why: 'git metadata is never published' })
      continue
    }
    if (isUnwritablePath(entry.path)) {
      dropped.push({ path: entry.path, why: 'an empty, `.` or `..` path segment is never published' })
      continue
    }
    if (entry.mode === SUBMODULE) {
      dropped.push({ path: entry.path, why: 'submodules are not fetched' })
      continue
    }
    if (entry.mode === SYMLINK) {
      const target = symlinkTargets.get(entry.path) ?? ''
      if (!symlinkStaysInside(entry.path, target, symlinkTargets)) {
        dropped.push({
          path: entry.path,
          why: `symlink to ${JSON.stringify(target.slice(0, 200))} leaves the site`,
        })
        continue
      }
    }
    if (entry.size > limits.maxFileBytes)
      throw new SyncError(
        'HP_ERR_SYNC_FILE_TOO_LARGE',
        `file too large: ${entry.path} has ${formatBytes(entry.size)}, the limit is ${formatBytes(limits.maxFileBytes)}`,
      )
    bytes += entry.size
    kept.push(entry)
  }
  if (kept.length > limits.maxFiles)
    throw new SyncError(
      'HP_ERR_SYNC_TOO_MANY_FILES',
      `site has ${kept.length} files, the limit is ${limits.maxFiles}; publish a smaller directory with spec.path`,
    )
  if (bytes > limits.maxSiteBytes)
    throw new SyncError(
      'HP_ERR_SYNC_SITE_TOO_LARGE',
      `site exceeds ${formatBytes(limits.maxSiteBytes)}: it has ${formatBytes(bytes)}; publish a smaller directory with spec.path`,
    )
  return { entries: kept, dropped, bytes }
}
