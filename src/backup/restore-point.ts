/**
 * A restore point is a set of restic snapshots taken together, one per part (a volume's files
 * and their manifest, a database's dump and its sums), found again by their tags: every hostplane
 * snapshot carries `hostplane`, its point's `point=<id>`, its `part=<part>` and its point's
 * `group=<id>` (the BackupSchedule that took it, or `manual`: retention works within a group).
 */
import type { Restic, Snapshot, SnapshotLabels } from './restic.js'

export const PARTS = {
  files: 'files',
  filesManifest: 'files-manifest',
  database: 'database',
  databaseManifest: 'database-manifest',
} as const
export type Part = (typeof PARTS)[keyof typeof PARTS]

export const partTags = (point: string, part: Part) => ['hostplane', `point=${point}`, `part=${part}`]

/** What a new restore point is labelled with besides its id. */
export interface PointLabels {
  /** Its group; points taken before groups existed have none. */
  readonly group?: string
  /** When it counts as taken (retention goes by it); now when not given. */
  readonly time?: Date
}

/** The labels of a new snapshot of `part` of restore point `point`. */
export const partLabels = (point: string, part: Part, { group, time }: PointLabels = {}): SnapshotLabels => ({
  tags: [...partTags(point, part), ...(group ? [`group=${group}`] : [])],
  time,
})

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

export interface RestorePoint {
  readonly point: string
  readonly group?: string
  /** Its files' snapshot time, else its database's: all its parts go by it. */
  readonly time: Date
  readonly parts: readonly Part[]
  /** Every snapshot of the point (forgetting the point forgets them all). */
  readonly snapshots: readonly string[]
  /** What its files and database held, when restic records it (0.17 and later). */
  readonly bytes?: number
}

const tagValue = (snapshot: Snapshot, key: string) =>
  snapshot.tags?.find((tag) => tag.startsWith(`${key}=`))?.slice(key.length + 1)

/** hostplane's snapshots gathered into restore points, oldest first. */
export function restorePointsOf(snapshots: readonly Snapshot[]): RestorePoint[] {
  const byPoint = new Map<string, Snapshot[]>()
  for (const snapshot of snapshots) {
    const point = tagValue(snapshot, 'point')
    if (point && snapshot.tags?.includes('hostplane'))
      byPoint.set(point, [...(byPoint.get(point) ?? []), snapshot])
  }
  const points = [...byPoint].map(([point, parts]): RestorePoint => {
    const part = (name: Part) => parts.find((snapshot) => tagValue(snapshot, 'part') === name)
    const data = [part(PARTS.files), part(PARTS.database)].filter((snapshot) => snapshot !== undefined)
    const timed = data[0] ?? parts[0]
    const sizes = data.map((snapshot) => snapshot.summary?.total_bytes_processed)
    const group = parts.map((snapshot) => tagValue(snapshot, 'group')).find((value) => value !== undefined)
    return {
      point,
      ...(group ? { group } : {}),
      time: new Date(timed?.time ?? 0),
      parts: Object.values(PARTS).filter((name) => part(name)),
      snapshots: parts.map((snapshot) => snapshot.id),
      ...(data.length > 0 && sizes.every((size) => size !== undefined)
        ? { bytes: sizes.reduce((sum, size) => sum + size, 0) }
        : {}),
    }
  })
  return points.sort((a, b) => a.time.getTime() - b.time.getTime() || a.point.localeCompare(b.point))
}

/** The restore points in the repository, of `group` when given, oldest first. */
export async function restorePoints(restic: Restic, group?: string): Promise<RestorePoint[]> {
  return restorePointsOf(await restic.snapshots(['hostplane', ...(group ? [`group=${group}`] : [])]))
}
