/**
 * The sync engine: makes one site's published tree equal to the commit its ref names. It is the
 * same in the cluster (driven by the StaticSite controller) and on one machine (driven by
 * `hostplane serve`); callers make sure one site is never synced twice at once.
 *
 * Order of a sync, each step returning early when it is enough:
 *   1. a pinned commit that is still kept → serve it again (rollback, no network);
 *   2. the site's mirror exists (created here, before any waiting);
 *   3. a slot for the host, waited for in the host's queue; only then is the host checked
 *      (allowed, resolving to an allowed address) and the Secret read;
 *   4. `ls-remote` names the commit; already served → unchanged; kept → serve it again;
 *   5. fetch that one commit; the slot is released;
 *   6. filter its tree, write it to staging, switch the symlink (bounded by `localWork`).
 */
import { rm, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative } from 'node:path'
import type { Logger } from 'pino'
import type { GitClient, Remote } from './git-client.js'
import type { GitCredentials } from './git-credentials.js'
import { type GitRef, parseRef } from './git-ref.js'
import type { HostPolicy } from './host-policy.js'
import type { AcquireOptions, HostSlots } from './host-slots.js'
import type { PublishStore, Revision } from './publish-store.js'
import { treeId } from './publish-store.js'
import { parseRepoUrl } from './repo-url.js'
import { asSyncError, SyncError } from './sync-error.js'
import type { SyncMetrics } from './sync-metrics.js'
import { type DroppedEntry, filterTree, type SiteLimits } from './tree-filter.js'

/** What a sync needs to know about a site, whatever it was declared in. */
export interface SiteSource {
  /** `namespace/name`: how every log line names the site. */
  readonly id: string
  /** The site key (`siteKey(namespace, name)`): the name of its entry in the sites root. */
  readonly key: string
  readonly repo: string
  readonly ref: string
  /** Subdirectory of the repository to publish, '/' for all of it. */
  readonly path: string
  /** Read only when git needs them, so a rollback to a kept revision needs no Secret. */
  readonly credentials?: () => Promise<GitCredentials | undefined>
  /**
   * A repository on this machine to read instead of `repo` (standalone `--local-repos` only): it
   * is used in place as the mirror, with the same tree filter and publish store, and no network.
   */
  readonly localRepo?: string
}

export type SyncAction = 'published' | 'rolled-back' | 'unchanged'

export interface SyncResult {
  readonly action: SyncAction
  readonly commit: string
  /** Kept revisions, newest (served) first. */
  readonly revisions: readonly Revision[]
  /** Entries left out of the published tree, and why (escaping symlinks, .git, submodules). */
  readonly dropped: readonly DroppedEntry[]
  readonly fetched: boolean
}

export interface SiteSyncerOptions {
  readonly store: PublishStore
  readonly git: GitClient
  readonly hosts: HostPolicy
  readonly slots: HostSlots
  /** Bounds the publishes (tree listing, checkout, switch) that run after their slot is released. */
  readonly localWork: HostSlots
  readonly limits: SiteLimits
  /** Directory of the per-site bare mirrors; private to the syncer (may hold private repositories). */
  readonly mirrors: string
  /** A mirror is compacted beyond this many packs (one per fetch). Default 10. */
  readonly mirrorMaxPacks?: number
  readonly metrics?: SyncMetrics
  readonly log: Logger
  readonly now?: () => number
}

/** How a caller waits for its host: its due time orders the queue; its signal leaves it. */
export type SyncOptions = AcquireOptions

/** `localWork` is one queue: publishes are local, whatever their host. */
const LOCAL = 'local'

/** '/docs/' and 'docs' both publish the directory docs; '/' publishes the whole repository. */
export const normalizePath = (path: string): string => {
  const inside = path.split('/').filter((part) => part !== '' && part !== '.')
  return inside.length === 0 ? '/' : `/${inside.join('/')}`
}

export class SiteSyncer {
  constructor(private readonly options: SiteSyncerOptions) {}

  async sync(site: SiteSource, options: SyncOptions = {}): Promise<SyncResult> {
    const { metrics, now = Date.now } = this.options
    const started = now()
    try {
      const result = await this.run(site, options)
      metrics?.duration.observe({ result: result.action }, (now() - started) / 1000)
      metrics?.lastSuccess.set({ site: site.key }, Date.now() / 1000)
      if (result.action !== 'unchanged')
        this.options.log.info({ site: site.id, commit: result.commit, action: result.action }, 'site synced')
      return result
    } catch (error) {
      // Left the queue before its slot: no sync happened, so nothing is counted.
      if (options.signal?.aborted && error === options.signal.reason) throw error
      const failure = asSyncError(error)
      metrics?.duration.observe({ result: 'failed' }, (now() - started) / 1000)
      metrics?.failures.inc({ site: site.key, reason: failure.reason })
      throw failure
    }
  }

  private async run(site: SiteSource, options: SyncOptions): Promise<SyncResult> {
    const { git, hosts, slots, localWork } = this.options
    const repo = parseRepoUrl(site.repo)
    const ref = parseRef(site.ref)
    const path = normalizePath(site.path)

    if (ref.kind === 'commit') {
      const local = await this.fromStore(site.key, ref.commit, path)
      if (local) return local
    }
    if (site.localRepo) return this.fromLocalRepo(site.key, site.localRepo, ref, path)

    // git init makes the mirrors directory with the first mirror; a poll only looks for HEAD.
    const mirror = join(this.options.mirrors, `${site.key}.git`)
    const created = await git.createMirror(mirror)
    const release = await slots.acquire(repo.host, options)
    let commit: string
    let fetched = false
    try {
      const remote: Remote = {
        repo,
        address: await hosts.check(repo),
        credentials: await site.credentials?.(),
      }
      if (ref.kind === 'commit') commit = ref.commit
      else {
        this.options.metrics?.gitCalls.inc({ operation: 'ls-remote' })
        commit = await git.resolve(remote, ref)
      }
      const local = await this.fromStore(site.key, commit, path)
      if (local) return local
      if (created || !(await git.has(mirror, commit))) {
        this.options.metrics?.gitCalls.inc({ operation: 'fetch' })
        await git.fetch(remote, mirror, commit)
        fetched = true
      }
    } finally {
      release()
    }
    const done = await localWork.acquire(LOCAL)
    try {
      const result = await this.publish(site.key, mirror, commit, path, fetched)
      await git
        .compact(mirror, { maxPacks: this.options.mirrorMaxPacks })
        .catch((error: unknown) =>
          this.options.log.warn(
            { err: error, site: site.id },
            'could not compact the git mirror; it keeps growing until the next try',
          ),
        )
      return result
    } finally {
      done()
    }
  }

  private async fromLocalRepo(key: string, repo: string, ref: GitRef, path: string): Promise<SyncResult> {
    if (!(await stat(repo).catch(() => undefined))?.isDirectory())
      throw new SyncError(
        'HP_ERR_SYNC_LOCAL_REPO_MISSING',
        `no local repository \`${basename(repo)}\` under \`${shownPath(dirname(repo))}\`: create it there (git init --bare, then push) or fix spec.repo; it is synced as soon as it appears`,
      )
    const commit = ref.kind === 'commit' ? ref.commit : await this.options.git.resolveLocal(repo, ref)
    const kept = await this.fromStore(key, commit, path)
    if (kept) return kept
    if (!(await this.options.git.has(repo, commit)))
      throw new SyncError('HP_ERR_SYNC_REF_NOT_FOUND', `ref not found: ${repo} has no commit ${commit}`)
    return this.publish(key, repo, commit, path, false)
  }

  /** Already served (unchanged), or kept and served again (rollback); undefined when git is needed. */
  private async fromStore(key: string, commit: string, path: string): Promise<SyncResult | undefined> {
    const { store } = this.options
    const { served, revisions } = await store.state(key)
    const tree = treeId(commit, path)
    if (served?.tree === tree) return { action: 'unchanged', commit, revisions, dropped: [], fetched: false }
    const kept = revisions.find((r) => r.tree === tree)
    if (!kept) return undefined
    return {
      action: 'rolled-back',
      commit,
      revisions: await store.activate(key, kept),
      dropped: [],
      fetched: false,
    }
  }

  private async publish(key: string, mirror: string, commit: string, path: string, fetched: boolean) {
    const { store, git, limits } = this.options
    const { entries, symlinkTargets } = await git.listTree(mirror, commit, path)
    const tree = filterTree(entries, symlinkTargets, limits)
    const staged = await store.stage(key)
    try {
      const refused = await git.checkout(mirror, tree.entries, staged)
      const revisions = await store.publish(key, staged, commit, path)
      return {
        action: 'published',
        commit,
        revisions,
        dropped: [...tree.dropped, ...refused],
        fetched,
      } satisfies SyncResult
    } catch (error) {
      await store.discard(staged)
      throw error
    }
  }

  /** Stops serving a deleted site and forgets everything about it. */
  async remove(key: string): Promise<void> {
    await this.options.store.remove(key)
    await rm(join(this.options.mirrors, `${key}.git`), { recursive: true, force: true })
    await this.options.metrics?.forget(key)
  }
}

/** A directory as the user most likely named it: relative when under the working directory. */
function shownPath(dir: string): string {
  const inside = relative(process.cwd(), dir)
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : dir
}
