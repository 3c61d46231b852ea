/**
 * A volume's part of a restore point: the directory backed up by restic as it is, and its file
 * manifest (manifest.ts) stored as a snapshot of its own with the same point tag. A restore puts
 * the files (or one path of them) into a new directory or over a live volume's, and compares what
 * it restored with the manifest; a verification restores into a scratch directory and compares,
 * so a backup that lost, emptied or damaged files is found.
 */
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { type FileManifest, fileManifest, manifestDifferences } from './manifest.js'
import type { Restic } from './restic.js'
import { PARTS, type PointLabels, partLabels, partOf, storedJson } from './restore-point.js'

const MANIFEST_FILE = 'manifest.json'

export interface FilesBackup {
  readonly snapshot: string
  readonly files: number
  readonly bytes: number
  /** Bytes the repository grew by (after deduplication and compression). */
  readonly added: number
}

export async function backupFiles(
  restic: Restic,
  dir: string,
  point: string,
  labels: PointLabels = {},
): Promise<FilesBackup> {
  const summary = await restic.backupDirectory(dir, partLabels(point, PARTS.files, labels))
  // After restic read the files: a file that changed meanwhile is recorded as it is now, and the
  // verification reports it rather than passing a backup it cannot vouch for.
  const manifest = await fileManifest(dir)
  await restic.backupStdin(
    MANIFEST_FILE,
    JSON.stringify(manifest),
    partLabels(point, PARTS.filesManifest, labels),
  )
  return {
    snapshot: summary.snapshot_id,
    files: manifest.files,
    bytes: manifest.bytes,
    added: summary.data_added,
  }
}

/** The manifest recorded when restore point `point` was taken. */
export async function recordedManifest(restic: Restic, point: string): Promise<FileManifest> {
  return storedJson<FileManifest>(restic, point, PARTS.filesManifest, MANIFEST_FILE)
}

/**
 * Why `path` cannot name a file or directory of a volume (relative to its root, without `.` or
 * `..` segments: a restore must never reach outside the volume), or undefined when it can.
 */
export function volumePathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return `${path} is absolute: give a path in the volume, e.g. wp-content/uploads`
  const segments = path.replace(/\/+$/, '').split('/')
  if (segments.join('') === '') return 'an empty path names no file in the volume'
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..'))
    return `${path} is not a plain path in the volume (no '.', '..' or empty segments), e.g. wp-content/uploads`
  return undefined
}

export interface RestoreOptions {
  /** `target` is an existing directory (a mounted volume's root) whose contents the point's replace. */
  readonly replace?: boolean
  /** Only this file or directory of the volume (see volumePathProblem). */
  readonly path?: string
}

export interface FilesRestore {
  readonly dir: string
  readonly path?: string
  /** What was restored (of `path` when given). */
  readonly files: number
  readonly bytes: number
  /** How the restored files differ from the recorded manifest; empty when they match. */
  readonly problems: readonly string[]
}

/** restic's include patterns are globs: each of its special characters escaped matches itself. */
const literalPattern = (path: string) => path.replace(/[\\*?[\]]/g, '\\$&')

/** The entries of `manifest` at `path` and under it, with the counts of its files. */
function manifestAt(manifest: FileManifest, path: string | undefined): FileManifest {
  if (path === undefined) return manifest
  const entries = manifest.entries.filter((entry) => entry.path === path || entry.path.startsWith(`${path}/`))
  const files = entries.filter((entry) => entry.type === 'file')
  return { entries, files: files.length, bytes: files.reduce((sum, file) => sum + file.size, 0) }
}

const RESTORING = '.hostplane-restoring-'

/**
 * Restores the files of `point` (or only `options.path` of them) and compares them with the
 * recorded manifest. restic writes into a scratch directory on the same file system, and only
 * when it finished are its files renamed into place, so a failed restore changes nothing:
 * - by default `target` must not exist yet: the scratch is beside it and becomes it;
 * - with `replace`, `target` is an existing directory (a volume's root, which cannot be renamed):
 *   the scratch is inside it, and then every other entry of `target` is removed and the restored
 *   ones renamed in — with `path`, only that path is replaced (and its missing parents created).
 */
export async function restoreFiles(
  restic: Restic,
  point: string,
  target: string,
  options: RestoreOptions = {},
): Promise<FilesRestore> {
  return restoreAsRecorded(restic, point, target, await recordedManifest(restic, point), options)
}

async function restoreAsRecorded(
  restic: Restic,
  point: string,
  target: string,
  recorded: FileManifest,
  { replace = false, path: wanted }: RestoreOptions,
): Promise<FilesRestore> {
  const path = wanted?.replace(/\/+$/, '')
  const problem = wanted === undefined ? undefined : volumePathProblem(wanted)
  if (problem) throw new Error(problem)
  const info = await lstat(target).catch(() => undefined)
  if (!replace && info)
    throw new Error(`${target} exists: restore into a new directory, or replace its contents`)
  if (replace && !info?.isDirectory())
    throw new Error(`${target} is not a directory whose contents can be replaced`)
  const snapshot = await partOf(restic, point, PARTS.files)
  const [source, ...others] = snapshot.paths
  if (!source || others.length > 0)
    throw new Error(
      `restore point ${point}: its files snapshot holds ${snapshot.paths.length} paths, expected one`,
    )
  const scratch = join(replace ? target : dirname(target), `${RESTORING}${randomBytes(6).toString('hex')}`)
  await mkdir(scratch, { recursive: true })
  try {
    await restic.restore(snapshot.id, scratch, path === undefined ? [] : [literalPattern(join(source, path))])
    const restored = join(scratch, source)
    if (path !== undefined && !(await lstat(join(restored, path)).catch(() => undefined)))
      throw new Error(`restore point ${point} has no ${path} in its files`)
    const actual = manifestAt(await fileManifest(restored), path)
    const problems = manifestDifferences(manifestAt(recorded, path), actual)
    if (!replace) await rename(restored, target)
    else if (path === undefined) await replaceContents(target, restored, basename(scratch))
    else await replacePath(target, restored, path)
    return {
      dir: target,
      ...(path === undefined ? {} : { path }),
      files: actual.files,
      bytes: actual.bytes,
      problems,
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** Makes directory `target` hold what `restored` holds: every entry but `keep` (the scratch) goes. */
async function replaceContents(target: string, restored: string, keep: string): Promise<void> {
  for (const name of await readdir(target))
    if (name !== keep) await rm(join(target, name), { recursive: true, force: true })
  for (const name of await readdir(restored)) await rename(join(restored, name), join(target, name))
}

/**
 * Replaces `path` in `target` with `restored`'s, where restic put it with its parent directories:
 * the first of those `target` has not as a directory (missing, a file, a link — never followed) is
 * moved over whole, which is the path itself when all its parents are there.
 */
async function replacePath(target: string, restored: string, path: string): Promise<void> {
  const segments = path.split('/')
  let moved = path
  for (let depth = 1; depth < segments.length; depth++) {
    const parent = segments.slice(0, depth).join('/')
    if (!(await lstat(join(target, parent)).catch(() => undefined))?.isDirectory()) {
      moved = parent
      break
    }
  }
  await rm(join(target, moved), { recursive: true, force: true })
  await rename(join(restored, moved), join(target, moved))
}

/**
 * Restores `point` into `scratch` (a directory of the caller's that must not exist) and compares
 * it with the recorded manifest. Returns the problems, none when the backup holds what it should.
 */
export async function verifyFiles(restic: Restic, point: string, scratch: string): Promise<string[]> {
  try {
    const expected = await recordedManifest(restic, point)
    if (expected.files === 0) return [`restore point ${point} holds no files`]
    return [...(await restoreAsRecorded(restic, point, scratch, expected, {})).problems]
  } catch (error) {
    return [`restore point ${point} could not be restored: ${(error as Error).message}`]
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
