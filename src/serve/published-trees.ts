/**
 * The published trees of all sites, as the server sees them: `<root>/<site key>` is the publish
 * link (a symlink to an immutable tree of one commit, switched by atomic rename), and nothing else
 * is ever followed. A path is servable only when its real path is exactly the tree's real path
 * plus the site path, so any symlink inside a tree (a leftover link to /etc/passwd, a link to
 * another site) reads as missing; FIFOs, sockets and devices read as missing too.
 *
 * Because a published tree never changes, what is learnt about it (kind, size, validators and,
 * for small files, the bytes) is cached under the absolute path until the cache is full or the
 * publish link points elsewhere. The link is re-read at most every `linkTtlMs` (serving the known
 * tree meanwhile) or at once after `notify(key)`.
 */
import { constants } from 'node:fs'
import { open, realpath, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { cacheControlFor } from './cache-policy.js'
import { contentTypeFor } from './content-types.js'
import { type FileVersion, type ServedFile, versionValidators } from './file-response.js'
import type { PathKind } from './serving-rules.js'

export interface TreeCacheLimits {
  /** How long a known publish link target is trusted before it is read again. @default 1000 */
  readonly linkTtlMs: number
  /** Files up to this size are kept in memory. @default 262144 */
  readonly maxBodyBytes: number
  /** All bodies kept together; the cache is emptied when it would grow past this. @default 128 MiB */
  readonly maxCacheBytes: number
  /** Cached paths (including misses); the cache is emptied when it would grow past this. @default 50000 */
  readonly maxCacheEntries: number
}

export const DEFAULT_TREE_CACHE_LIMITS: TreeCacheLimits = {
  linkTtlMs: 1000,
  maxBodyBytes: 256 * 1024,
  maxCacheBytes: 128 * 1024 * 1024,
  maxCacheEntries: 50_000,
}

type Entry =
  | { readonly kind: 'file'; readonly file: ServedFile }
  | { readonly kind: 'directory' }
  | { readonly kind: 'missing' }

interface Link {
  tree: string | undefined
  checkedAt: number
  reading: Promise<string | undefined> | undefined
}

const MISSING: Entry = { kind: 'missing' }
const DIRECTORY: Entry = { kind: 'directory' }

export class PublishedTrees {
  private readonly links = new Map<string, Link>()
  private readonly entries = new Map<string, Entry>()
  private cachedBytes = 0
  private realRoot: string | undefined

  constructor(
    private readonly root: string,
    private readonly clock: () => number,
    private readonly limits: TreeCacheLimits = DEFAULT_TREE_CACHE_LIMITS,
  ) {}

  /** The real path of a site's current tree (undefined when not published); a promise only when it must be read. */
  current(key: string): string | undefined | Promise<string | undefined> {
    const link = this.links.get(key)
    if (!link) {
      const fresh: Link = { tree: undefined, checkedAt: 0, reading: undefined }
      this.links.set(key, fresh)
      return this.reread(key, fresh)
    }
    if (link.reading) return link.tree ?? link.reading
    if (this.clock() - link.checkedAt >= this.limits.linkTtlMs) void this.reread(key, link)
    return link.tree
  }

  /** The publish link of `key` has changed: the next request waits for it to be read again. */
  notify(key: string): void {
    this.links.delete(key)
  }

  /** Forget sites no longer configured. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.links.keys()) if (!keys.has(key)) this.links.delete(key)
  }

  /** Loads what is not yet known about these site paths; undefined when everything is cached. */
  load(tree: string, sitePaths: readonly string[]): Promise<void> | undefined {
    let pending: Promise<unknown>[] | undefined
    for (const sitePath of sitePaths) {
      const path = tree + sitePath
      if (!this.entries.has(path)) (pending ??= []).push(this.loadPath(path))
    }
    return pending && Promise.all(pending).then(() => undefined)
  }

  /** What is at a site path; call after `load`. */
  probe(tree: string, sitePath: string): PathKind {
    const entry = this.entries.get(tree + sitePath)
    return entry?.kind === 'file' || entry?.kind === 'directory' ? entry.kind : undefined
  }

  /** The file at a site path, after `load` found one. */
  file(tree: string, sitePath: string): ServedFile | undefined {
    const entry = this.entries.get(tree + sitePath)
    return entry?.kind === 'file' ? entry.file : undefined
  }

  private reread(key: string, link: Link): Promise<string | undefined> {
    link.reading = this.readLink(key).then((tree) => {
      link.tree = tree
      link.checkedAt = this.clock()
      link.reading = undefined
      return tree
    })
    return link.reading
  }

  private async readLink(key: string): Promise<string | undefined> {
    if (key.includes('/') || key.startsWith('.')) return undefined
    this.realRoot ??= await realpath(this.root).catch(() => undefined)
    if (this.realRoot === undefined) return undefined
    const tree = await realpath(join(this.root, key)).catch(() => undefined)
    // A publish link must stay under the root (the syncer keeps trees there): one pointing at /
    // or /etc would otherwise publish the machine.
    return tree?.startsWith(this.realRoot + sep) ? tree : undefined
  }

  private async loadPath(path: string): Promise<void> {
    const entry = await this.inspect(path)
    if (entry.kind !== 'file') return this.remember(path, entry)
    const [br, gzip] = await Promise.all([this.version(`${path}.br`), this.version(`${path}.gz`)])
    this.remember(path, { kind: 'file', file: { ...entry.file, br, gzip } })
  }

  private async version(path: string): Promise<FileVersion | undefined> {
    const entry = await this.inspect(path)
    return entry.kind === 'file' ? entry.file.identity : undefined
  }

  private async inspect(path: string): Promise<Entry> {
    const real = await realpath(path).catch(() => undefined)
    if (real !== path) return MISSING
    const stats = await stat(real).catch(() => undefined)
    if (stats?.isDirectory()) return DIRECTORY
    if (!stats?.isFile()) return MISSING
    const body = stats.size <= this.limits.maxBodyBytes ? await readNoFollow(real, stats.size) : undefined
    const identity: FileVersion = {
      file: real,
      size: stats.size,
      body,
      ...versionValidators(stats.mtimeMs, stats.size),
    }
    return {
      kind: 'file',
      file: {
        identity,
        br: undefined,
        gzip: undefined,
        contentType: contentTypeFor(real),
        cacheControl: cacheControlFor(real),
      },
    }
  }

  private remember(path: string, entry: Entry): void {
    const bytes = entry.kind === 'file' ? bodyBytes(entry.file) : 0
    if (
      this.entries.size >= this.limits.maxCacheEntries ||
      this.cachedBytes + bytes > this.limits.maxCacheBytes
    ) {
      this.entries.clear()
      this.cachedBytes = 0
    }
    this.entries.set(path, entry)
    this.cachedBytes += bytes
  }
}

const bodyBytes = (file: ServedFile) =>
  (file.identity.body?.length ?? 0) + (file.br?.body?.length ?? 0) + (file.gzip?.body?.length ?? 0)

/** Reads a whole small file without following a symlink that replaced it since the check. */
async function readNoFollow(path: string, size: number): Promise<Buffer | undefined> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined)
  if (!handle) return undefined
  try {
    const body = Buffer.allocUnsafe(size)
    const { bytesRead } = await handle.read(body, 0, size, 0)
    return bytesRead === size ? body : undefined
  } finally {
    await handle.close()
  }
}
