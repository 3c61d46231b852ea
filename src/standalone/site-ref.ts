/**
 * Rollback in `hostplane serve`: the site's own file is its definition, so rolling back pins its
 * `spec.ref` to a kept commit there (as `kubectl edit` would in a cluster), and following a branch
 * again sets it back. The file is rewritten through yaml's document model, so its comments, its
 * other documents and its layout stay; the new text must still be a valid StaticSite of the same
 * name, or nothing is written; the write is atomic (a temporary file renamed over it), so the
 * watcher never reads half a file.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { type FileSite, parseSiteFile } from './site-files.js'

export class SiteRefError extends Error {
  override name = 'SiteRefError'

  /** `missing`: there is no such site; otherwise the ref or the file is refused. */
  constructor(
    message: string,
    readonly missing = false,
  ) {
    super(message)
  }
}

/** The file's text with `spec.ref` of the site's document set to `ref`; throws SiteRefError saying why not. */
export function withSiteRef(
  entry: Pick<FileSite, 'file' | 'document' | 'site'>,
  text: string,
  ref: string,
): string {
  const documents = parseAllDocuments(text)
  if (!Array.isArray(documents)) throw new SiteRefError(`${entry.file} is empty`)
  const document = documents[entry.document - 1]
  if (!document || document.errors.length > 0)
    throw new SiteRefError(
      `${entry.file} changed since it was read: document ${entry.document} is gone or broken`,
    )
  document.setIn(['spec', 'ref'], ref)
  const next = documents.map((d) => d.toString()).join('')
  const parsed = parseSiteFile(entry.file, next)
  const site = parsed.sites.find((s) => s.document === entry.document)?.site
  const { name, namespace } = entry.site.metadata
  if (!site || site.metadata.name !== name || site.metadata.namespace !== namespace)
    throw new SiteRefError(
      parsed.problems.find((p) => p.includes(`document ${entry.document}`)) ??
        parsed.problems[0] ??
        `${entry.file} no longer defines StaticSite ${namespace}/${name} in document ${entry.document}`,
    )
  if (site.spec.ref !== ref) throw new SiteRefError(`${entry.file}: ref ${ref} was not taken`)
  return next
}

/** Rewrites the site's file with `ref`, atomically. */
export async function writeSiteRef(
  entry: Pick<FileSite, 'file' | 'document' | 'site'>,
  ref: string,
): Promise<void> {
  const next = withSiteRef(entry, await readFile(entry.file, 'utf8'), ref)
  // A hidden name: the loader reads *.yaml files that do not start with a dot.
  const temporary = join(dirname(entry.file), `.hostplane-${randomBytes(6).toString('hex')}.tmp`)
  try {
    await writeFile(temporary, next, { mode: 0o644 })
    await rename(temporary, entry.file)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}
