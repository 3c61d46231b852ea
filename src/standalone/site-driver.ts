/**
 * Drives the sync engine for `hostplane serve`, as the StaticSite controller does in a cluster:
 * one keyed work queue (a site is never synced twice at once), every site synced when it appears
 * or changes, then again after its `syncInterval` (or a backoff after a failure, from the same
 * `nextCheckDelay` rules), on a webhook or a manual sync. A site that disappears is unpublished.
 * Outcomes go to the log, since there is no status subresource to write.
 */
import type { Registry } from 'prom-client'
import { WorkQueue, type HandleResult } from '../kube/work-queue.js'
import type { Logger } from '../ops/log.js'
import type { SyncTarget } from '../syncer/http-api.js'
import { HostBusy } from '../syncer/host-slots.js'
import type { SiteSource, SiteSyncer } from '../syncer/site-syncer.js'
import { asSyncError } from '../syncer/sync-error.js'
import { type LastOutcome, nextCheckDelay } from '../syncer/sync-schedule.js'
import type { SiteRef } from '../syncer/webhook.js'

export interface DrivenSite {
  /** `namespace/name`, the key of webhooks and `POST /sync`. */
  readonly id: string
  readonly repo: string
  readonly ref: string
  readonly intervalMs: number
  readonly source: SiteSource
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
}

export class SiteDriver implements SyncTarget {
  private current = new Map<string, DrivenSite>()
  /** Site key of each removed site until its trees are deleted. */
  private readonly removed = new Map<string, string>()
  private readonly failures = new Map<string, number>()
  /** Sites synced (or failed) at least once, and who waits for all of them. */
  private readonly tried = new Set<string>()
  private waiters: (() => void)[] = []
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
      this.failures.delete(id)
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
      last = { kind: 'success' }
    } catch (error) {
      if (error instanceof HostBusy) return { requeueAfterMs: error.retryAfterMs }
      const failure = asSyncError(error)
      const consecutiveFailures = (this.failures.get(id) ?? 0) + 1
      this.failures.set(id, consecutiveFailures)
      log.error({ site: id, code: failure.code, reason: failure.reason }, failure.message)
      last = { kind: 'failure', retry: failure.retry, consecutiveFailures }
    }
    return { requeueAfterMs: nextCheckDelay(site.intervalMs, last, random()) }
  }
}
