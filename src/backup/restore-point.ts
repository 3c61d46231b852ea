/**
 * A restore point is a set of restic snapshots taken together, one per part (a volume's files
 * and their manifest, a database's dump and its sums), found again by their tags: every hostplane
 * snapshot carries `hostplane`, its point's `point=<id>` and its `part=<part>`.
 */
import type { Restic, Snapshot } from './restic.js'

export const PARTS = {
  files: 'files',
  filesManifest: 'files-manifest',
  database: 'database',
  databaseManifest: 'database-manifest',
} as const
export type Part = (typeof PARTS)[keyof typeof PARTS]

export const partTags = (point: string, part: Part) => ['hostplane', `point=${point}`, `part=${part}`]

/** The one snapshot of `part` in restore point `point`. */
export async function partOf(restic: Restic, point: string, part: Part): Promise<Snapshot> {
  const [snapshot, ...more] = await restic.snapshots(partTags(point, part))
  if (!snapshot) throw new Error(`restore point ${point} has no ${part} snapshot`)
  if (more.length > 0)
    throw new Error(`restore point ${point} has ${more.length + 1} ${part} snapshots, expected one`)
  return snapshot
}

/** A JSON file a part holds (a manifest), as it was stored. */
export async function storedJson<T>(restic: Restic, point: string, part: Part, file: string): Promise<T> {
  const snapshot = await partOf(restic, point, part)
  return JSON.parse((await restic.dump(snapshot.id, `/${file}`)).toString('utf8')) as T
}
