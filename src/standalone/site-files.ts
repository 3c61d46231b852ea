/**
 * The file-backed site store of `hostplane serve`: every `*.yaml` / `*.yml` file of one directory
 * (not recursive), each holding one or more StaticSite documents, validated with the very
 * `validateResource()` the REST API uses. A bad file never stops the others: it becomes a problem
 * naming the file (and the document and field), and its sites are left out. Which definition of
 * a site wins is decided by claim-order.ts, which site of a domain by src/domains: not by the files.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import type { StaticSite } from '../api/resources.js'
import { formatFieldErrors, validateResource } from '../api/validate.js'

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
  /** Files with a problem: what they define could not all be read this time. */
  readonly unreadable: ReadonlySet<string>
}

/** The files of a sites directory that are read: `*.yaml` and `*.yml`, not hidden ones. */
export const isSiteFile = (name: string) => /\.ya?ml$/i.test(name) && !name.startsWith('.')

export interface ParsedSiteFile {
  readonly sites: readonly FileSite[]
  readonly problems: readonly string[]
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
            }
          : parseSiteFile(path, await readFile(path, 'utf8'))
      cache.set(path, { stamp, parsed })
    }
    sites.push(...parsed.sites)
    problems.push(...parsed.problems)
    if (parsed.problems.length > 0) unreadable.add(path)
  }
  return { sites, problems, unreadable }
}

/** Names a file, and the document when the file has several. */
export const where = ({ file, document }: Pick<FileSite, 'file' | 'document'>, documents = 1) =>
  documents > 1 || document > 1 ? `${file} (document ${document})` : file

/** The StaticSites of one file, and a line per document that is not a valid StaticSite. */
export function parseSiteFile(file: string, text: string): ParsedSiteFile {
  const sites: FileSite[] = []
  const problems: string[] = []
  const documents = parseAllDocuments(text, { prettyErrors: false })
  const list = Array.isArray(documents) ? documents : [documents]
  for (const [index, document] of list.entries()) {
    const at = where({ file, document: index + 1 }, list.length)
    if (document.errors.length > 0) {
      problems.push(`${at}: invalid YAML: ${document.errors[0]?.message ?? 'unreadable'}`)
      continue
    }
    const input: unknown = document.toJS()
    if (input === null || input === undefined) continue
    const result = validateResource(input)
    if (!result.ok) {
      problems.push(`${at}: ${formatFieldErrors(result.errors)}`)
      continue
    }
    if (result.object.kind !== 'StaticSite') {
      problems.push(
        `${at}: kind: ${result.object.kind} is valid but hostplane serve runs only StaticSite; ignored`,
      )
      continue
    }
    const site = result.object as unknown as StaticSite
    site.metadata.namespace ??= DEFAULT_NAMESPACE
    sites.push({ file, document: index + 1, site })
  }
  return { sites, problems }
}
