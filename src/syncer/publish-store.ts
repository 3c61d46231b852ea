/**
 * The sites root as nginx (or `hostplane serve`) reads it. Each site is a symlink to an immutable
 * tree, and a publish only ever swaps that symlink with one atomic rename, so a reader sees the
 * old tree or the new one, never a mix:
 *
 *   <root>/<site key>                         → .hostplane/trees/<site key>/<tree id>  (relative symlink)
 *   <root>/.hostplane/trees/<site key>/<tree id>/      one commit's published directory, never modified
 *   <root>/.hostplane/trees/<site key>/revisions.json  the kept revisions, newest first
 *   <root>/.hostplane/staging/                         trees and links being written; emptied at start
 *
 * The symlink is the truth for what is served; `revisions.json` is the history kept for instant
 * rollback. Every step of a publish leaves the symlink pointing at a complete tree, so a crash at
 * any point leaves every site serving one complete revision, and `recover()` removes what the
 * crash left half-done.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface Revision {
  readonly commit: string
  /** The published subdirectory of the commit (`spec.path`). */
  readonly path: string
  /** Directory name of the tree under .hostplane/trees/<site key>/. */
  readonly tree: string
  readonly publishedAt: string
}

export interface PublishStoreOptions {
  readonly root: string
  /** Revisions kept per site, the served one included. Default 3. */
  readonly keep?: number
  readonly now?: () => Date
  /**
   * Told after each switch of a site's link (the revision now served) and after a site's removal
   * (undefined), in the order they happened for that site: the mirror feed follows it.
   */
  readonly onChange?: (key: string, served: Revision | undefined) => void
}

const META = '.hostplane'
const REVISIONS = 'revisions.json'
const TREE_ID = /^[0-9a-f]{40,64}(-[0-9a-f]{12})?$/

/** A name `treeId` can return: the only directory names under a site's trees that are trees. */
export const isTreeId = (name: string): boolean => TREE_ID.test(name)

/** A tree per (commit, path): the same commit published from another subdirectory is another tree. */
export const treeId = (commit: string, path: string): string =>
  path === '/' ? commit : `${commit}-${createHash('sha256').update(path).digest('hex').slice(0, 12)}`

const unique = () => `${process.pid}-${randomBytes(6).toString('hex')}`

export class PublishStore {
  readonly root: string
  private readonly keep: number
  private readonly now: () => Date
  private readonly onChange: NonNullable<PublishStoreOptions['onChange']>

  constructor({ root, keep = 3, now = () => new Date(), onChange = () => undefined }: PublishStoreOptions) {
    if (keep < 1) throw new Error('the publish store must keep at least one revision')
    this.root = root
    this.keep = keep
    this.now = now
    this.onChange = onChange
  }

  private get staging() {
    return join(this.root, META, 'staging')
  }
  /** The directory of one kept tree, as `revisions()` names it. */
  treeDir(key: string, tree: string): string {
    return join(this.treesOf(key), tree)
  }
  private treesOf(key: string) {
    return join(this.root, META, 'trees', key)
  }
  private linkOf(key: string) {
    return join(this.root, key)
  }

  /** Creates the layout and removes what an interrupted run left: staging and unreferenced trees. */
  async recover(): Promise<void> {
    await rm(this.staging, { recursive: true, force: true })
    await mkdir(this.staging, { recursive: true })
    await mkdir(join(this.root, META, 'trees'), { recursive: true })
    for (const key of await this.keys()) {
      const revisions = await this.revisions(key)
      const served = await this.servedTree(key)
      if (served === undefined && revisions.length === 0) await this.remove(key)
      else await this.prune(key, revisions, served)
    }
  }

  /** Site keys that have trees. */
  async keys(): Promise<string[]> {
    return readdir(join(this.root, META, 'trees')).catch(() => [])
  }

  /** Kept revisions, newest first; the served one is always among them. */
  async revisions(key: string): Promise<Revision[]> {
    return (await this.state(key)).revisions
  }

  /** The revision visitors see now. */
  async served(key: string): Promise<Revision | undefined> {
    return (await this.state(key)).served
  }

  /**
   * The served revision and the kept ones, from one read of each: an unchanged site's every poll
   * asks both, so they are not read twice.
   */
  async state(key: string): Promise<{ served?: Revision; revisions: Revision[] }> {
    const [text, tree] = await Promise.all([
      readFile(join(this.treesOf(key), REVISIONS), 'utf8').catch(() => '[]'),
      this.servedTree(key),
    ])
    let revisions: Revision[]
    try {
      revisions = JSON.parse(text) as Revision[]
    } catch {
      revisions = []
    }
    if (tree === undefined) return { revisions }
    let served = revisions.find((r) => r.tree === tree)
    // Only a lost or corrupt history gets here; the tree id still names the commit.
    if (!served) {
      served = { commit: tree.split('-')[0] ?? tree, path: '', tree, publishedAt: '' }
      revisions.unshift(served)
    }
    return { served, revisions }
  }

  private async servedTree(key: string): Promise<string | undefined> {
    const target = await readlink(this.linkOf(key)).catch(() => undefined)
    const tree = target?.split('/').pop()
    return tree && isTreeId(tree) ? tree : undefined
  }

  /** A kept revision of (commit, path), for a rollback that needs no fetch. */
  async find(key: string, commit: string, path: string): Promise<Revision | undefined> {
    const tree = treeId(commit, path)
    return (await this.revisions(key)).find((r) => r.tree === tree)
  }

  /** A fresh directory to write a tree into; pass it to `publish` or `discard`. */
  async stage(key: string): Promise<string> {
    const dir = join(this.staging, `${key}.${unique()}`)
    await mkdir(dir, { recursive: true })
    return dir
  }

  async discard(staged: string): Promise<void> {
    await rm(staged, { recursive: true, force: true })
  }

  /** Moves a staged tree into place and serves it. Returns the kept revisions, newest first. */
  async publish(key: string, staged: string, commit: string, path: string): Promise<Revision[]> {
    const tree = treeId(commit, path)
    await mkdir(this.treesOf(key), { recursive: true })
    try {
      await rename(staged, join(this.treesOf(key), tree))
    } catch (error) {
      // The same tree is already kept (a crash after its rename): it is complete, use it.
      if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
      await this.discard(staged)
    }
    return this.serve(key, { commit, path, tree, publishedAt: this.now().toISOString() })
  }

  /** Serves a kept revision again (rollback) without touching its tree. */
  async activate(key: string, revision: Revision): Promise<Revision[]> {
    return this.serve(key, { ...revision, publishedAt: this.now().toISOString() })
  }

  private async serve(key: string, revision: Revision): Promise<Revision[]> {
    const previous = await this.revisions(key)
    const served = await this.servedTree(key)
    const kept = [revision, ...previous.filter((r) => r.tree !== revision.tree)].slice(0, this.keep)
    // Until the switch below, the old tree is served: it must survive this history write.
    const history =
      served && !kept.some((r) => r.tree === served)
        ? [...kept, ...previous.filter((r) => r.tree === served)]
        : kept
    await this.writeRevisions(key, history)
    const link = join(this.staging, `${key}.link.${unique()}`)
    await symlink(join(META, 'trees', key, revision.tree), link)
    await rename(link, this.linkOf(key))
    await this.writeRevisions(key, kept)
    this.onChange(key, revision)
    await this.prune(key, kept, revision.tree)
    return kept
  }

  private async writeRevisions(key: string, revisions: readonly Revision[]): Promise<void> {
    const temporary = join(this.staging, `${key}.revisions.${unique()}`)
    await writeFile(temporary, `${JSON.stringify(revisions, null, 1)}\n`)
    await rename(temporary, join(this.treesOf(key), REVISIONS))
  }

  private async prune(key: string, kept: readonly Revision[], served: string | undefined): Promise<void> {
    const keep = new Set([...kept.map((r) => r.tree), served, REVISIONS])
    for (const entry of await readdir(this.treesOf(key)).catch(() => [])) {
      if (!keep.has(entry)) await rm(join(this.treesOf(key), entry), { recursive: true, force: true })
    }
  }

  /** Stops serving a site and removes all its trees. */
  async remove(key: string): Promise<void> {
    await rm(this.linkOf(key), { force: true })
    await rm(this.treesOf(key), { recursive: true, force: true })
    this.onChange(key, undefined)
  }
}
