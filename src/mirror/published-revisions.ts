/**
 * The syncer's side of the feed: which revision each site serves now, kept in memory from the
 * publish store's own change notices (no polling of the sites root), with a version that changes
 * on every switch or removal and waiters for the next change.
 */
import { randomBytes } from 'node:crypto'
import { type PublishStore, type Revision, treeId } from '../syncer/publish-store.js'
import type { FeedState, SiteRevision } from './feed-protocol.js'

export class PublishedRevisions {
  private readonly sites = new Map<string, SiteRevision>()
  /** A syncer restart starts another epoch, so a mirror's old version never matches by chance. */
  private readonly epoch = randomBytes(6).toString('hex')
  private counter = 0
  private waiters = new Set<() => void>()

  /** The publish store's `onChange`: pass it before the store is first used. */
  readonly changed = (key: string, served: Revision | undefined): void => {
    if (served && mirrorable(served)) this.sites.set(key, { key, ...pick(served) })
    else this.sites.delete(key)
    this.counter++
    const waiters = this.waiters
    this.waiters = new Set()
    for (const wake of waiters) wake()
  }

  /** Reads what the store serves now (at start, after its recovery). */
  async load(store: PublishStore): Promise<void> {
    for (const key of await store.keys()) {
      const served = await store.served(key)
      if (served && mirrorable(served) && !this.sites.has(key)) this.sites.set(key, { key, ...pick(served) })
    }
    this.counter++
  }

  get version(): string {
    return `${this.epoch}.${this.counter}`
  }

  /** The served revisions, and which of `known` (every site the syncer syncs) have none yet. */
  state(known: Iterable<string>): FeedState {
    const pending = [...new Set(known)].filter((key) => !this.sites.has(key))
    return { version: this.version, sites: [...this.sites.values()], pending }
  }

  /** The state once it differs from `after`, or after `ms` or an abort, whichever comes first. */
  async next(
    after: string | undefined,
    known: () => Iterable<string>,
    ms: number,
    signal: AbortSignal,
  ): Promise<FeedState> {
    if (after !== this.version || signal.aborted) return this.state(known())
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done, { once: true })
      this.waiters.add(done)
    })
    return this.state(known())
  }
}

/** A revision whose history was lost names no path; mirrors get it again at its next publish. */
const mirrorable = (revision: Revision) => treeId(revision.commit, revision.path) === revision.tree

const pick = ({ tree, commit, path, publishedAt }: Revision) => ({ tree, commit, path, publishedAt })
