/**
 * Drives the sync engine for `hostplane serve`, as the StaticSite controller does in a cluster:
 * one keyed work queue (a site is never synced twice at once), every site synced when it appears
 * or changes, then again after its `syncInterval` (or a backoff after a failure, from the same
 * `nextCheckDelay` rules), on a webhook or a manual sync. A site that disappears is unpublished.
 * Outcomes go to the log, since there is no status subresource to write: a failure when it starts
 * or its message changes, not at every retry. A site whose local repository (or its ref) is not
 * there yet is tried again whenever `localReposChanged()` is called, not only after its interval.
 */
import type { Registry } from 'prom-client'
import { WorkQueue, type HandleResult } from '../kube/work-queue.js'
import type { Logger } from '../ops/log.js'
import type { SyncTarget } from '../syncer/http-api.js'
import type { Revision } from '../syncer/publish-store.js'
import type { SiteSource, SiteSyncer } from '../syncer/site-syncer.js'
import { asSyncError, type SyncErrorCode } from '../syncer/sync-error.js'
import { type LastOutcome, nextCheckDelay } from '../syncer/sync-schedule.js'
import type { SiteRef } from '../syncer/webhook.js'

/** Failures of a local repository that creating it, or committing to it, ends. */
const LOCAL_REPO_NOT_READY: ReadonlySet<SyncErrorCode> = new Set([
  'HP_ERR_SYNC_LOCAL_REPO_MISSING',
  'HP_ERR_SYNC_REF_NOT_FOUND',
])

export interface DrivenSite {
  /** `namespace/name`, the key of webhooks and `POST /sync`. */
  readonly id: string
  readonly repo: string
  readonly ref: string
  readonly intervalMs: number
  readonly source: SiteSource
}

/**
 * Where a site's syncing stands, as a cluster's `Synced` condition and status fields would say:
 * what is published (kept after a failure: it is still served) and the last failure, if the last
 * try failed.
 */
export interface SiteSyncState {
  readonly state: 'pending' | 'synced' | 'failing'
  /** When the last try ended (RFC 3339). */
  readonly lastTry?: string
  /** When the site was last synced with success. */
  readonly lastSync?: string
  /** The published commit. */
  readonly commit?: string
  /** Kept revisions, newest (served) first. */
  readonly revisions: readonly Revision[]
  readonly failure?: { readonly code: SyncErrorCode; readonly message: string }
}

export interface SiteDriverOptions {
  readonly syncer: SiteSyncer
  readonly log: Logger
  readonly registry?: Registry
  /** Sites synced at once. @default 4 */
  readonly concurrency?: number
  /** Called after a site's publish link switched (published or rolled back). */
  readonly onPublished: (key: string) => void
  readonly random?: () => number
  readonly now?: () => Date
}

export class SiteDriver implements SyncTarget {
  private current = new Map<string, DrivenSite>()
  /** Site key of each removed site until its trees are deleted. */
  private readonly removed = new Map<string, string>()
  /** Consecutive failures of each failing site, and the last message logged for it. */
  private readonly failures = new Map<string, { readonly count: number; readonly message: string }>()
  /** Sites whose local repository, or the ref in it, did not exist at their last sync. */
  private readonly awaitingRepo = new Set<string>()
  /** Sites synced (or failed) at least once, and who waits for all of them. */
  private readonly tried = new Set<string>()
  private waiters: (() => void)[] = []
  private readonly states = new Map<string, SiteSyncState>()
  private readonly queue: WorkQueue

  constructor(private readonly options: SiteDriverOptions) {
    this.queue = new WorkQueue({
      name: 'standalone-sites',
      concurrency: options.concurrency ?? 4,
      handle: (id) => this.handle(id),
      log: options.log,
      registry: options.registry,
    })
  }

  /** Replaces the site set: new and changed sites sync now, removed ones are unpublished. */
  update(sites: readonly DrivenSite[]): void {
    const before = this.current
    // The queue may run a key as soon as it is added: the new set must be in place first.
    this.current = new Map(sites.map((site) => [site.id, site]))
    const changed: string[] = []
    for (const [id, site] of this.current)
      if (JSON.stringify(before.get(id)) !== JSON.stringify(site)) changed.push(id)
    for (const [id, site] of before)
      if (!this.current.has(id)) {
        this.removed.set(id, site.source.key)
        changed.push(id)
      }
    for (const id of changed) this.queue.add(id)
  }

  /** Resolves once every current site has been synced or has failed at least once. */
  settled(): Promise<void> {
    return this.allTried() ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve))
  }

  private allTried(): boolean {
    for (const id of this.current.keys()) if (!this.tried.has(id)) return false
    return true
  }

  start(): void {
    this.queue.start()
  }

  async stop(): Promise<void> {
    await this.queue.shutdown()
  }

  sites(): SiteRef[] {
    return [...this.current.values()].map(({ id, repo, ref }) => ({ key: id, repo, ref }))
  }

  /** Something changed among the local repositories: sites waiting for theirs try again now. */
  localReposChanged(): void {
    for (const id of this.awaitingRepo) this.queue.add(id)
  }

  /** The site's sync state; undefined when there is no such site. */
  state(id: string): SiteSyncState | undefined {
    if (!this.current.has(id)) return undefined
    return this.states.get(id) ?? { state: 'pending', revisions: [] }
  }

  trigger(id: string): boolean {
    if (!this.current.has(id)) return false
    this.queue.add(id)
    return true
  }

  private async handle(id: string): Promise<HandleResult> {
    try {
      return await this.syncOrRemove(id)
    } finally {
      this.tried.add(id)
      if (this.allTried()) for (const resolve of this.waiters.splice(0)) resolve()
    }
  }

  private async syncOrRemove(id: string): Promise<HandleResult> {
    const { syncer, log, onPublished, random = Math.random } = this.options
    const site = this.current.get(id)
    const key = this.removed.get(id)
    this.removed.delete(id)
    if (!site) {
      this.states.delete(id)
      this.failures.delete(id)
      this.awaitingRepo.delete(id)
      if (key) {
        await syncer.remove(key)
        onPublished(key)
        log.info({ site: id }, 'site removed; its published trees are deleted')
      }
      return
    }
    let last: LastOutcome
    try {
      const result = await syncer.sync(site.source)
      if (result.action !== 'unchanged') onPublished(site.source.key)
      for (const entry of result.dropped)
        log.warn({ site: id, entry }, 'entry left out of the published tree')
      this.failures.delete(id)
      this.awaitingRepo.delete(id)
      const at = this.stamp()
      this.states.set(id, {
        state: 'synced',
        lastTry: at,
        lastSync: at,
        commit: result.commit,
        revisions: result.revisions,
      })
      last = { kind: 'success' }
    } catch (error) {
      const failure = asSyncError(error)
      const previous = this.failures.get(id)
      const consecutiveFailures = (previous?.count ?? 0) + 1
      this.failures.set(id, { count: consecutiveFailures, message: failure.message })
      if (failure.message !== previous?.message)
        log.error({ site: id, code: failure.code, reason: failure.reason }, failure.message)
      const before = this.states.get(id)
      this.states.set(id, {
        ...before,
        state: 'failing',
        lastTry: this.stamp(),
        revisions: before?.revisions ?? [],
        failure: { code: failure.code, message: failure.message },
      })
      if (site.source.localRepo && LOCAL_REPO_NOT_READY.has(failure.code)) this.awaitingRepo.add(id)
      else this.awaitingRepo.delete(id)
      last = { kind: 'failure', retry: failure.retry, consecutiveFailures }
    }
    return { requeueAfterMs: nextCheckDelay(site.intervalMs, last, random()) }
  }

  private stamp(): string {
    return (this.options.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }
}
