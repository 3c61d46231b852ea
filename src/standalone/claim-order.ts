/**
 * When each site claimed its domains, and which definition of a site keeps its name when several
 * files define it. In a cluster a claim is as old as its object (creationTimestamp); here it is as
 * old as the scan that first found the site, and it keeps that time for as long as it is defined:
 * touching, re-saving or renaming files moves nothing. A site is identified by `namespace/name`, so
 * a site moved to another file is the same site. Sites found in the same scan (all of them at
 * startup) claimed at the same time, like objects created in the same second: the shared rule
 * (src/domains) orders them by namespace/name. Of two definitions of one site found in the same
 * scan, the first by file name, then by document, is used.
 *
 * A site is forgotten when no file defines it any more. While the file that defined it cannot be
 * read (invalid YAML, a field the schema refuses) its place is kept, so fixing a typo gives its
 * domains back instead of handing them to a newer site for good.
 */
import { type FileSite, where } from './site-files.js'

export interface ArrangedSite extends FileSite {
  /** The scan that first found the site: its claim time for the domain rule. */
  readonly claimedAt: number
}

export interface ArrangedSites {
  /** One definition per site, first found first. */
  readonly sites: readonly ArrangedSite[]
  /** A line per definition left out because another file defines the same site. */
  readonly problems: readonly string[]
}

interface Seen {
  readonly place: number
  readonly claimedAt: number
  /** The file whose definition is used. */
  readonly file: string
}

export const siteId = ({ site }: FileSite) => `${site.metadata.namespace}/${site.metadata.name}`

/** Definitions found in one scan: by file name, then document. */
const fileOrder = (a: FileSite, b: FileSite): number =>
  (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.document - b.document

export class ClaimOrder {
  private readonly seen = new Map<string, Seen>()
  private places = 0
  private scans = 0

  /**
   * Arranges the sites of one scan of the directory. `unreadable` are the files whose content
   * could not be used this time: what they defined keeps its place.
   */
  arrange(found: readonly FileSite[], unreadable: ReadonlySet<string> = new Set()): ArrangedSites {
    const scan = this.scans++
    const byId = new Map<string, FileSite[]>()
    for (const entry of [...found].sort(fileOrder)) {
      const id = siteId(entry)
      byId.set(id, [...(byId.get(id) ?? []), entry])
    }
    for (const [id, seen] of this.seen) if (!byId.has(id) && !unreadable.has(seen.file)) this.seen.delete(id)

    const chosen: { entry: ArrangedSite; place: number }[] = []
    const problems: string[] = []
    for (const [id, entries] of byId) {
      const seen = this.seen.get(id)
      const entry = entries.find((candidate) => candidate.file === seen?.file) ?? entries[0]
      if (!entry) continue
      const place = seen?.place ?? this.places++
      const claimedAt = seen?.claimedAt ?? scan
      this.seen.set(id, { place, claimedAt, file: entry.file })
      chosen.push({ entry: { ...entry, claimedAt }, place })
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
