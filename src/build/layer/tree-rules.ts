/**
 * Whether a commit's tree may become an image layer, decided from `git ls-tree` output alone
 * before anything is archived: refused whole (never silently trimmed, so the image holds exactly
 * the commit) when a path has `.git`, an empty, `.` or `..` segment, when a symlink's target
 * leaves the app directory (absolute, `../` above it, through other symlinks), or when the files
 * exceed the limits. Submodules are not part of the layer and are reported.
 */
import {
  formatBytes,
  SUBMODULE,
  SYMLINK,
  symlinkStaysInside,
  type TreeEntry,
} from '../../syncer/tree-filter.js'
import { BuildError } from '../build-error.js'

export interface LayerLimits {
  /** Most bytes of file content in the layer (before compression). @default 256 MiB */
  readonly maxBytes: number
  /** Most entries in the layer. @default 50 000 */
  readonly maxFiles: number
}

export const DEFAULT_LAYER_LIMITS: LayerLimits = { maxBytes: 256 * 1024 ** 2, maxFiles: 50_000 }

export interface CheckedTree {
  readonly files: number
  readonly bytes: number
  /** Paths of submodules, which the layer leaves out (their directories stay empty). */
  readonly submodules: readonly string[]
}

const LISTED = 5

export function checkTree(
  entries: readonly TreeEntry[],
  symlinkTargets: ReadonlyMap<string, string>,
  limits: LayerLimits,
): CheckedTree {
  const submodules: string[] = []
  let bytes = 0
  for (const entry of entries) {
    const parts = entry.path.split('/')
    if (parts.some((part) => part === '' || part === '.' || part === '..' || part.toLowerCase() === '.git'))
      throw new BuildError(
        'HP_ERR_BUILD_UNSAFE_PATH',
        `path ${JSON.stringify(entry.path)} is refused: no segment may be empty, '.', '..' or '.git'; rename it`,
      )
    if (entry.mode === SUBMODULE) {
      submodules.push(entry.path)
      continue
    }
    if (entry.mode === SYMLINK) {
      const target = symlinkTargets.get(entry.path) ?? ''
      if (!symlinkStaysInside(entry.path, target, symlinkTargets))
        throw new BuildError(
          'HP_ERR_BUILD_SYMLINK_OUTSIDE',
          `symlink ${entry.path} -> ${JSON.stringify(target.slice(0, 200))} leaves the app directory; make it a relative link to a file of the repository, or remove it`,
        )
    }
    bytes += entry.size
  }
  const files = entries.length - submodules.length
  if (files > limits.maxFiles)
    throw new BuildError(
      'HP_ERR_BUILD_TOO_MANY_FILES',
      `the commit has ${files} files, the limit is ${limits.maxFiles}; remove generated or vendored files from the repository`,
    )
  if (bytes > limits.maxBytes) {
    const largest = [...entries]
      .sort((a, b) => b.size - a.size)
      .slice(0, LISTED)
      .map((e) => `${e.path} (${formatBytes(e.size)})`)
    throw new BuildError(
      'HP_ERR_BUILD_TOO_LARGE',
      `the commit's files total ${formatBytes(bytes)}, the limit is ${formatBytes(limits.maxBytes)}; largest: ${largest.join(', ')}`,
    )
  }
  return { files, bytes, submodules }
}
