/**
 * A restore point's part as a download: the files (all, or one path of the volume) as restic's
 * `dump` writes them, or the database's dump as it was stored. Nothing is restored to disk first;
 * the bytes leave restic as the reader takes them. What may be asked is decided here, purely
 * (`downloadProblem`, `repositoryOf`), before restic runs.
 */
import { Readable } from 'node:stream'
import { basename, posix } from 'node:path'
import { DUMP_FILE } from './database.js'
import { volumePathProblem } from './files.js'
import type { Restic, ResticRepository } from './restic.js'

export const DOWNLOAD_PARTS = ['files', 'database'] as const
export type DownloadPart = (typeof DOWNLOAD_PARTS)[number]

export interface DownloadRequest {
  /** The Backup's name: it names the file the browser saves. */
  readonly backup: string
  readonly part: DownloadPart
  /** The part's snapshot, as the Backup's status records it. */
  readonly snapshot: string
  /** Only this file or directory of the volume (files only; see volumePathProblem). */
  readonly path?: string
}

export interface Download {
  readonly contentType: string
  /** What the browser saves it as. */
  readonly filename: string
  readonly body: Readable
  /** Resolves when every byte was read from the repository; rejects when restic failed or stopped. */
  readonly done: Promise<void>
}

/** What was asked names nothing in the restore point (a path it does not hold). */
export class DownloadMissingError extends Error {
  override name = 'DownloadMissingError'
}

/** Why `part` and `path` cannot be downloaded together, or undefined when they can. */
export function downloadProblem(part: DownloadPart, path: string | undefined): string | undefined {
  if (path === undefined) return undefined
  if (part !== 'files') return 'path names a file or directory of the volume: ask for part=files'
  if (path.endsWith('/'))
    return `${path} ends with '/': name the directory without it, e.g. wp-content/uploads`
  return volumePathProblem(path)
}

/** The repository Secret's keys, as the operator writes them into the tenant namespace. */
export interface RepositorySecret {
  readonly repository?: string
  readonly password?: string
}

/**
 * The repository of a tenant's repository Secret, or why it is none. Only restic's `rest:` backend
 * (the target's repository proxy, the customer's token in its URL) is taken: the tenant can edit
 * the Secret, and no other backend may make the reader open files or reach a bucket by keys.
 */
export function repositoryOf(secret: RepositorySecret): ResticRepository | string {
  const { repository, password } = secret
  if (!repository || !password) return 'the repository Secret has no repository or no password'
  if (!/^rest:https?:\/\//.test(repository))
    return 'the repository Secret does not name a repository proxy (rest:http://…)'
  return { url: repository, password, env: {} }
}

/** A safe file name for `name` (letters, digits, `.`, `_`, `-`). */
const fileName = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_')

/**
 * Opens the download `request` asks for in `restic`'s repository. Resolves once restic wrote its
 * first bytes (or ended well with none), so a failure to start is an error before any answer.
 */
export async function openDownload(
  restic: Restic,
  request: DownloadRequest,
  signal?: AbortSignal,
): Promise<Download> {
  const { backup, part, snapshot, path } = request
  if (part === 'database')
    return started(
      restic.dumpStream(snapshot, `/${DUMP_FILE}`, signal),
      'application/sql',
      `${fileName(backup)}-database.sql`,
    )
  if (path === undefined)
    return started(
      restic.dumpStream(snapshot, '/', signal),
      'application/x-tar',
      `${fileName(backup)}-files.tar`,
    )
  const [source, ...others] = (await restic.snapshot(snapshot)).paths
  if (!source || others.length > 0)
    throw new Error(`snapshot ${snapshot} holds ${others.length + (source ? 1 : 0)} paths, expected one`)
  const where = posix.join(source, path)
  const node = await restic.node(snapshot, where)
  if (node?.type === 'dir')
    return started(
      restic.dumpStream(snapshot, where, signal),
      'application/x-tar',
      `${fileName(backup)}-${fileName(basename(path))}.tar`,
    )
  if (node?.type === 'file')
    return started(
      restic.dumpStream(snapshot, where, signal),
      'application/octet-stream',
      fileName(basename(path)),
    )
  throw new DownloadMissingError(
    node ? `${path} is a ${node.type}, neither a file nor a directory` : `Backup ${backup} holds no ${path}`,
  )
}

async function started(
  stream: ReturnType<Restic['dumpStream']>,
  contentType: string,
  filename: string,
): Promise<Download> {
  const chunks = stream.stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  // restic's stdout ends when restic does, however it ends: `done` says how.
  const first = await chunks.next()
  if (first.done) {
    await stream.done
    return { contentType, filename, body: Readable.from([]), done: Promise.resolve() }
  }
  async function* all(head: Buffer) {
    try {
      yield head
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value
    } finally {
      // A reader that went away leaves restic's output unread: left open, that pipe keeps the
      // process (the panel) holding it and its buffered bytes for good.
      stream.stdout.destroy()
    }
  }
  // The body's reader decides the pace; whoever awaits `done` hears how restic ended.
  stream.done.catch(() => {})
  return { contentType, filename, body: Readable.from(all(first.value)), done: stream.done }
}
