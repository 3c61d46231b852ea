/**
 * Which definition of a site keeps its name, and which site keeps a domain, when several files
 * claim them. In a cluster the older object wins (creationTimestamp); here the site seen first
 * wins and keeps its claims for as long as it is defined: touching, re-saving or renaming files
 * moves nothing. A site is identified by `namespace/name`, so a site moved to another file is the
 * same site. Sites found in the same scan (all of them at startup) are ordered by a stable rule:
 * `metadata.creationTimestamp` when set (oldest first, before sites without one), then the file
 * name, then the document's place in its file.
 *
 * A site is forgotten when no file defines it any more. While the file that defined it cannot be
 * read (invalid YAML, a field the schema refuses) its place is kept, so fixing a typo gives its
 * domains back instead of handing them to a newer site for good.
 */
import { type FileSite, where } from './site-files.js'

export interface ArrangedSites {
  /** One definition per site, first claimer first: the order domains are given out in. */
  readonly sites: readonly FileSite[]
  /** A line per definition left out because another file defines the same site. */
  readonly problems: readonly string[]
}

interface Seen {
  readonly place: number
  /** The file whose definition is used. */
  readonly file: string
}

export const siteId = ({ site }: FileSite) => `${site.metadata.namespace}/${site.metadata.name}`

const createdAt = ({ site }: FileSite) => {
  const time = Date.parse(String(site.metadata.creationTimestamp ?? ''))
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time
}

/** The startup rule: creationTimestamp, then file name, then document. */
export const startupOrder = (a: FileSite, b: FileSite): number =>
  createdAt(a) - createdAt(b) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.document - b.document

export class ClaimOrder {
  private readonly seen = new Map<string, Seen>()
  private places = 0

  /**
   * Arranges the sites of one scan of the directory. `unreadable` are the files whose content
   * could not be used this time: what they defined keeps its place.
   */
  arrange(found: readonly FileSite[], unreadable: ReadonlySet<string> = new Set()): ArrangedSites {
    const byId = new Map<string, FileSite[]>()
    for (const entry of [...found].sort(startupOrder)) {
      const id = siteId(entry)
      byId.set(id, [...(byId.get(id) ?? []), entry])
    }
    for (const [id, seen] of this.seen) if (!byId.has(id) && !unreadable.has(seen.file)) this.seen.delete(id)

    const chosen: { entry: FileSite; place: number }[] = []
    const problems: string[] = []
    for (const [id, entries] of byId) {
      const seen = this.seen.get(id)
      const entry = entries.find((candidate) => candidate.file === seen?.file) ?? entries[0]
      if (!entry) continue
      const place = seen?.place ?? this.places++
      this.seen.set(id, { place, file: entry.file })
      chosen.push({ entry, place })
      for (const other of entries)
        if (other !== entry)
          problems.push(
            `${where(other)}: StaticSite ${id} is already defined in ${where(entry)}; this one is ignored`,
          )
    }
    chosen.sort((a, b) => a.place - b.place)
    return { sites: chosen.map(({ entry }) => entry), problems }
  }
}
