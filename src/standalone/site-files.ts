/**
 * The file-backed site store of `hostplane serve`: every `*.yaml` / `*.yml` file of one directory
 * (not recursive), each holding one or more StaticSite documents, validated with the very
 * `validateResource()` the REST API uses. A bad file never stops the others: it becomes a problem
 * naming the file (and the document and field, or the line and column of a YAML error), and the
 * sites it defined keep their last valid definition until it is fixed, as a cluster refuses a bad
 * apply and keeps the object it had. A site goes only when no file defines it any more: its file
 * deleted, or a file that reads without error no longer holding it. Which definition of a site
 * wins is decided by claim-order.ts, which site of a domain by src/domains: not by the files.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { StaticSite } from '../api/resources.js'
import { formatFieldErrors, validateResource } from '../api/validate.js'
import { parseDocuments } from '../api/yaml-documents.js'

/** A site file larger than this is refused without being parsed. */
export const MAX_SITE_FILE_BYTES = 1024 * 1024
/** Files read from the directory at most; more are reported and ignored. */
export const MAX_SITE_FILES = 10_000

export const DEFAULT_NAMESPACE = 'default'

export interface FileSite {
  readonly file: string
  /** Document number in its file, from 1. */
  readonly document: number
  readonly site: StaticSite
}

export interface SiteFiles {
  /** Valid StaticSites, by file name. The same site may be defined in several files. */
  readonly sites: readonly FileSite[]
  /** One line per problem, each starting with the file it is about. */
  readonly problems: readonly string[]
  /** Files with a document that could not be read: their sites keep their last valid definition. */
  readonly unreadable: ReadonlySet<string>
}

/** The files of a sites directory that are read: `*.yaml` and `*.yml`, not hidden ones. */
export const isSiteFile = (name: string) => /\.ya?ml$/i.test(name) && !name.startsWith('.')

export interface ParsedSiteFile {
  readonly sites: readonly FileSite[]
  readonly problems: readonly string[]
  /** A document is not valid YAML or not a valid resource (another kind is only a notice). */
  readonly broken: boolean
}

/**
 * What each file held when last read, reused while its inode, size, modification and change
 * times stay the same: a rescan of 1,000 unchanged files then costs a stat each, not a parse
 * and a schema validation each (about a second of CPU every rescan).
 */
export type SiteFileCache = Map<string, { readonly stamp: string; readonly parsed: ParsedSiteFile }>

export async function loadSiteFiles(dir: string, cache: SiteFileCache = new Map()): Promise<SiteFiles> {
  const names = (await readdir(dir)).filter(isSiteFile).sort()
  const problems: string[] = []
  if (names.length > MAX_SITE_FILES) {
    problems.push(`${dir}: ${names.length} site files; only the first ${MAX_SITE_FILES} are read`)
    names.length = MAX_SITE_FILES
  }
  const sites: FileSite[] = []
  const unreadable = new Set<string>()
  const paths = new Set(names.map((name) => join(dir, name)))
  for (const path of cache.keys()) if (!paths.has(path)) cache.delete(path)
  for (const path of paths) {
    const stats = await stat(path).catch(() => undefined)
    if (!stats?.isFile()) continue
    const stamp = `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`
    let parsed = cache.get(path)?.stamp === stamp ? cache.get(path)?.parsed : undefined
    if (!parsed) {
      parsed =
        stats.size > MAX_SITE_FILE_BYTES
          ? {
              sites: [],
              problems: [`${path}: ${stats.size} bytes; a site file may have at most ${MAX_SITE_FILE_BYTES}`],
              broken: true,
            }
          : parseSiteFile(path, await readFile(path, 'utf8'))
      parsed = keepLastValid(cache.get(path)?.parsed, parsed)
      cache.set(path, { stamp, parsed })
    }
    sites.push(...parsed.sites)
    problems.push(...parsed.problems)
    if (parsed.broken) unreadable.add(path)
  }
  return { sites, problems, unreadable }
}

/** Names a file, and the document when the file has several. */
export const where = ({ file, document }: Pick<FileSite, 'file' | 'document'>, documents = 1) =>
  documents > 1 || document > 1 ? `${file} (document ${document})` : file

const idOf = ({ site }: FileSite) => `${site.metadata.namespace}/${site.metadata.name}`

/**
 * What a file that was just read stands for: itself when it reads without error; otherwise what
 * it still defines, plus every site its last reading defined that a broken document may hold.
 */
export function keepLastValid(previous: ParsedSiteFile | undefined, next: ParsedSiteFile): ParsedSiteFile {
  if (!next.broken || !previous) return next
  const defined = new Set(next.sites.map(idOf))
  const kept = previous.sites.filter((entry) => !defined.has(idOf(entry)))
  if (kept.length === 0) return next
  return {
    sites: [...next.sites, ...kept],
    problems: [
      ...next.problems,
      ...kept.map(
        (entry) =>
          `${where(entry)}: StaticSite ${idOf(entry)} keeps its last valid definition until the file is fixed`,
      ),
    ],
    broken: true,
  }
}

/**
 * The StaticSites of one file, and a line per document that is not a valid StaticSite. YAML errors
 * are located as `hostplane validate` locates them (the parser's line and column); the excerpt
 * the parser adds below that line is left to `validate`, since a problem here is one log line.
 */
/** Why a valid resource of another kind is not run here, and where it does run. */
function notServed(kind: string): string {
  if (kind === 'Database' || kind === 'DatabaseServer')
    return `kind: ${kind} is valid but hostplane serve runs no databases: they run in a cluster (docs/databases.md); on one machine, give the site a database server of its own`
  return `kind: ${kind} is valid but hostplane serve runs only StaticSite`
}

export function parseSiteFile(file: string, text: string): ParsedSiteFile {
  const parsed = parseDocuments(file, text)
  const count = parsed.documents.length + parsed.problems.length
  const found: { document: number; site?: FileSite; problem?: string }[] = parsed.problems.map(
    ({ document = 1, line, column, message }) => ({
      document,
      problem: `${where({ file, document }, count)}: ${message} at line ${line}, column ${column}`,
    }),
  )
  let broken = found.length > 0
  for (const { document, value } of parsed.documents) {
    const at = where({ file, document }, count)
    const result = validateResource(value)
    if (!result.ok) {
      found.push({ document, problem: `${at}: ${formatFieldErrors(result.errors)}` })
      broken = true
    } else if (result.object.kind !== 'StaticSite')
      found.push({ document, problem: `${at}: ${notServed(result.object.kind)}; ignored` })
    else {
      const site = result.object as unknown as StaticSite
      site.metadata.namespace ??= DEFAULT_NAMESPACE
      found.push({ document, site: { file, document, site } })
    }
  }
  found.sort((x, y) => x.document - y.document)
  return {
    sites: found.flatMap(({ site }) => (site ? [site] : [])),
    problems: found.flatMap(({ problem }) => (problem ? [problem] : [])),
    broken,
  }
}
