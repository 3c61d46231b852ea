/**
 * A volume's part of a restore point: the directory backed up by restic as it is, and its file
 * manifest (manifest.ts) stored as a snapshot of its own with the same point tag. A restore puts
 * the files into a new directory; a verification restores them into a scratch directory and
 * compares them with the manifest, so a backup that lost, emptied or damaged files is found.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
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
 * Restores the files of `point` as directory `target`, which must not exist yet: restic writes
 * into a scratch directory beside it (the same file system), renamed into place when complete.
 */
export async function restoreFiles(restic: Restic, point: string, target: string): Promise<void> {
  const present = await readdir(target).then(
    () => true,
    () => false,
  )
  if (present) throw new Error(`${target} exists: restore into a new directory`)
  const snapshot = await partOf(restic, point, PARTS.files)
  const [source, ...others] = snapshot.paths
  if (!source || others.length > 0)
    throw new Error(
      `restore point ${point}: its files snapshot holds ${snapshot.paths.length} paths, expected one`,
    )
  const scratch = join(dirname(target), `.restoring-${randomBytes(6).toString('hex')}`)
  await mkdir(scratch, { recursive: true })
  try {
    await restic.restore(snapshot.id, scratch)
    await rename(join(scratch, source), target)
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/**
 * Restores `point` into `scratch` (a directory of the caller's that must not exist) and compares
 * it with the recorded manifest. Returns the problems, none when the backup holds what it should.
 */
export async function verifyFiles(restic: Restic, point: string, scratch: string): Promise<string[]> {
  try {
    const expected = await recordedManifest(restic, point)
    if (expected.files === 0) return [`restore point ${point} holds no files`]
    await restoreFiles(restic, point, scratch)
    return manifestDifferences(expected, await fileManifest(scratch))
  } catch (error) {
    return [`restore point ${point} could not be restored: ${(error as Error).message}`]
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
