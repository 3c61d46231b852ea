/**
 * Keeps the sites root equal to the set of StaticSites in the cluster. An informer feeds a work
 * queue keyed `namespace/name`; a site is synced at once when it appears or its spec changes
 * (a new generation), then re-checked on its own schedule (`syncInterval` with jitter, backoff on
 * failure); webhooks and `POST /sync` add keys directly. A deleted site's trees are removed.
 *
 * A reconcile reads top-down and ends in at most one status write (server-side apply of the
 * syncer's own fields), plus an Event when that status changes.
 */
import { GROUP, VERSION } from '../api/kind.js'
import type { StaticSite } from '../api/resources.js'
import { siteKey } from '../api/site-key.js'
import type { Applier } from '../kube/apply.js'
import type { EventRecorder } from '../kube/events.js'
import { Informer } from '../kube/informer.js'
import { objectKey, splitKey } from '../kube/object.js'
import { type KubeRest, isNotFound } from '../kube/rest.js'
import { type HandleResult, WorkQueue } from '../kube/work-queue.js'
import type { Logger } from '../ops/log.js'
import type { Registry } from 'prom-client'
import { HostBusy } from './host-slots.js'
import { readSecretCredentials } from './secret-credentials.js'
import { SYNCED_REASONS } from './reasons.js'
import type { SiteSyncer } from './site-syncer.js'
import { asSyncError } from './sync-error.js'
import { type LastOutcome, nextCheckDelay, parseDuration } from './sync-schedule.js'
import { desiredSyncStatus, droppedSummary, type SyncOutcome } from './sync-status.js'
import type { SiteRef } from './webhook.js'

const API_VERSION = `${GROUP}/${VERSION}`

export interface StaticSiteControllerOptions {
  readonly rest: KubeRest
  /** Writes status under the syncer's field manager, counted in `hostplane_api_writes_total`. */
  readonly applier: Applier
  readonly syncer: SiteSyncer
  readonly events: EventRecorder
  readonly log: Logger
  readonly registry?: Registry
  /** Sites synced at once (git network use is limited separately per host). Default 16. */
  readonly concurrency?: number
  /** Watch one namespace only; default all. */
  readonly namespace?: string
  readonly now?: () => Date
  readonly random?: () => number
}

export class StaticSiteController {
  private readonly informer: Informer<StaticSite>
  private readonly queue: WorkQueue
  private readonly failures = new Map<string, number>()
  /** Keys of the first list not yet handled once; ready when empty. */
  private firstPass: Set<string> | undefined
  private unsubscribe: (() => void) | undefined

  constructor(private readonly options: StaticSiteControllerOptions) {
    this.informer = new Informer<StaticSite>({
      rest: options.rest,
      apiVersion: API_VERSION,
      plural: 'staticsites',
      namespace: options.namespace,
      log: options.log,
    })
    this.queue = new WorkQueue({
      name: 'syncer',
      concurrency: options.concurrency ?? 16,
      handle: (key) => this.handle(key),
      log: options.log,
      registry: options.registry,
    })
  }

  async start(): Promise<void> {
    this.unsubscribe = this.informer.onChange(({ type, object, previous }) => {
      // Status writes (ours and the operator's) change no generation and need no sync.
      if (
        type === 'added' ||
        type === 'deleted' ||
        object.metadata.generation !== previous?.metadata.generation
      )
        this.queue.add(objectKey(object))
    })
    await this.informer.start()
    this.firstPass = new Set(this.informer.list().map(objectKey))
    this.queue.start()
  }

  /** Ready after every site known at start was handled once (published or failed). */
  get ready(): boolean {
    return this.firstPass !== undefined && this.firstPass.size === 0
  }

  /** Syncs a site now, in the background (webhooks, `POST /sync`). */
  trigger(key: string): boolean {
    if (!this.informer.get(key)) return false
    this.queue.add(key)
    return true
  }

  /** Every site, for webhook matching. */
  sites(): SiteRef[] {
    return this.informer
      .list()
      .map((site) => ({ key: objectKey(site), repo: site.spec.repo, ref: site.spec.ref }))
  }

  async stop(): Promise<void> {
    this.unsubscribe?.()
    await this.queue.shutdown()
    await this.informer.stop()
  }

  private async handle(key: string): Promise<HandleResult> {
    try {
      const result = await this.reconcile(key)
      this.firstPass?.delete(key)
      return result
    } catch (error) {
      // A busy host is not a sync: the site is tried again shortly and stays in the first pass.
      if (error instanceof HostBusy) return { requeueAfterMs: error.retryAfterMs }
      this.firstPass?.delete(key)
      throw error
    }
  }

  private async reconcile(key: string): Promise<HandleResult> {
    const { syncer, rest, random = Math.random, now = () => new Date() } = this.options
    const site = this.informer.get(key)
    const { namespace = '', name } = splitKey(key)
    if (!site) {
      this.failures.delete(key)
      await syncer.remove(siteKey(namespace, name))
      return
    }
    let outcome: SyncOutcome
    try {
      const secret = site.spec.secretRef?.name
      const result = await syncer.sync({
        id: key,
        key: siteKey(namespace, name),
        repo: site.spec.repo,
        ref: site.spec.ref,
        path: site.spec.path,
        credentials: secret ? () => readSecretCredentials(rest, namespace, secret) : undefined,
      })
      outcome = { ok: true, result }
    } catch (error) {
      if (error instanceof HostBusy) throw error
      outcome = { ok: false, error: asSyncError(error) }
    }
    await this.report(site, outcome, now())

    const failures = outcome.ok ? 0 : (this.failures.get(key) ?? 0) + 1
    if (failures === 0) this.failures.delete(key)
    else this.failures.set(key, failures)
    const last: LastOutcome = outcome.ok
      ? { kind: 'success' }
      : { kind: 'failure', retry: outcome.error.retry, consecutiveFailures: failures }
    return { requeueAfterMs: nextCheckDelay(parseDuration(site.spec.syncInterval), last, random()) }
  }

  /** Applies the syncer's status fields when they changed, with an Event saying what happened. */
  private async report(site: StaticSite, outcome: SyncOutcome, now: Date): Promise<void> {
    const status = desiredSyncStatus(site, outcome, now)
    if (!status) return
    const { name, namespace } = site.metadata
    try {
      await this.options.applier.applyStatus(
        { apiVersion: API_VERSION, plural: 'staticsites', namespace, name },
        { apiVersion: API_VERSION, kind: 'StaticSite', metadata: { name, namespace }, status },
      )
    } catch (error) {
      // Deleted meanwhile: the deletion event removes its trees.
      if (isNotFound(error)) return
      throw error
    }
    const condition = status.conditions[0]
    if (!condition) return
    const { events } = this.options
    await events.record(site, {
      type: outcome.ok ? 'Normal' : 'Warning',
      reason: condition.reason,
      note: condition.message,
      action: 'Sync',
    })
    const dropped = outcome.ok ? droppedSummary(outcome.result) : undefined
    if (dropped)
      await events.record(site, {
        type: 'Warning',
        reason: SYNCED_REASONS.EntriesDropped,
        note: dropped,
        action: 'Sync',
      })
  }
}
