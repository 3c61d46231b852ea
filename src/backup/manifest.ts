/**
 * The file manifest of a backup: every file, directory and symbolic link under a directory, with
 * each file's size and SHA-256, recorded when the backup is taken and stored beside it, so a
 * restore can be checked against what was there rather than against what restic says it wrote.
 */
import { lstat, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256Of } from '../mirror/tree-manifest.js'

export type ManifestEntry =
  | {
      readonly path: string
      readonly type: 'file'
      readonly mode: number
      readonly size: number
      readonly sha256: string
    }
  | { readonly path: string; readonly type: 'dir'; readonly mode: number }
  | { readonly path: string; readonly type: 'symlink'; readonly target: string }

export interface FileManifest {
  readonly entries: readonly ManifestEntry[]
  readonly files: number
  readonly bytes: number
}

/** The manifest of everything under `dir` (paths relative to it, sorted); other file types are left out. */
export async function fileManifest(dir: string): Promise<FileManifest> {
  const entries: ManifestEntry[] = []
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(join(dir, relative))).sort()
    for (const name of names) {
      const path = relative ? `${relative}/${name}` : name
      const absolute = join(dir, path)
      const info = await lstat(absolute)
      const mode = info.mode & 0o7777
      if (info.isSymbolicLink()) entries.push({ path, type: 'symlink', target: await readlink(absolute) })
      else if (info.isDirectory()) {
        entries.push({ path, type: 'dir', mode })
        await walk(path)
      } else if (info.isFile())
        entries.push({ path, type: 'file', mode, size: info.size, sha256: await sha256Of(absolute) })
    }
  }
  await walk('')
  const files = entries.filter((entry) => entry.type === 'file')
  return { entries, files: files.length, bytes: files.reduce((sum, file) => sum + file.size, 0) }
}

const describe = (entry: ManifestEntry) =>
  entry.type === 'file'
    ? `file of ${entry.size} bytes, sha256 ${entry.sha256.slice(0, 12)}…, mode ${entry.mode.toString(8)}`
    : entry.type === 'dir'
      ? `directory, mode ${entry.mode.toString(8)}`
      : `symbolic link to ${entry.target}`

/** How `actual` differs from `expected`, one sentence per path; empty when they are the same. */
export function manifestDifferences(expected: FileManifest, actual: FileManifest, limit = 20): string[] {
  const byPath = new Map(actual.entries.map((entry) => [entry.path, entry]))
  const problems: string[] = []
  for (const entry of expected.entries) {
    const found = byPath.get(entry.path)
    byPath.delete(entry.path)
    if (!found) problems.push(`${entry.path}: missing (was a ${describe(entry)})`)
    else if (describe(found) !== describe(entry))
      problems.push(`${entry.path}: is a ${describe(found)}, was a ${describe(entry)}`)
  }
  for (const extra of byPath.values())
    problems.push(`${extra.path}: not in the backup (a ${describe(extra)})`)
  return problems.length > limit
    ? [...problems.slice(0, limit), `… and ${problems.length - limit} more differences`]
    : problems
}
