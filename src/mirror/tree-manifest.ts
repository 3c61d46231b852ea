/**
 * The manifest of a published tree, read from the disk: every file with its sha256, every
 * symlink with its target. Published trees are never modified, so a manifest is computed once per
 * tree and kept (a bounded number of them): the syncer answers mirrors from it, and a mirror knows
 * its served tree's manifest (remembered when it wrote the tree, read after a restart) to reuse the
 * files a new revision keeps.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { ManifestFile, ManifestSymlink, TreeManifest } from './feed-protocol.js'

/** A file's SHA-256, read as a stream (the backups' manifests use it too). */
export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

export async function readTreeManifest(dir: string): Promise<TreeManifest> {
  const files: ManifestFile[] = []
  const symlinks: ManifestSymlink[] = []
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(dir, relative), { withFileTypes: true })
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = relative ? `${relative}/${entry.name}` : entry.name
      const absolute = join(dir, path)
      if (entry.isDirectory()) await walk(path)
      else if (entry.isSymbolicLink()) symlinks.push({ path, target: await readlink(absolute) })
      else if (entry.isFile()) {
        const { size, mode } = await lstat(absolute)
        files.push({ path, size, sha256: await sha256Of(absolute), executable: (mode & 0o100) !== 0 })
      }
    }
  }
  await walk('')
  return { files, symlinks }
}

/** Manifests by tree directory, computed once each; the oldest are forgotten beyond `max`. */
export class TreeManifests {
  private readonly cache = new Map<string, Promise<TreeManifest>>()

  constructor(private readonly max = 256) {}

  of(dir: string): Promise<TreeManifest> {
    const known = this.cache.get(dir)
    if (known) {
      this.cache.delete(dir)
      this.cache.set(dir, known)
      return known
    }
    const computed = readTreeManifest(dir)
    this.cache.set(dir, computed)
    computed.catch(() => this.cache.delete(dir))
    this.trim()
    return computed
  }

  /** A manifest known without reading the tree: a mirror's tree it has just written and verified. */
  remember(dir: string, manifest: TreeManifest): void {
    this.cache.delete(dir)
    this.cache.set(dir, Promise.resolve(manifest))
    this.trim()
  }

  private trim(): void {
    while (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value as string)
  }
}
