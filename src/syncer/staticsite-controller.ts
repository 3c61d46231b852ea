/**
 * Keeps the sites root equal to the set of StaticSites in the cluster. An informer feeds a work
 * queue keyed `namespace/name`; a site is synced at once when it appears, its spec changes (a new
 * generation) or its `hostplane.dev/requested-sync` annotation takes a new value, then re-checked
 * on its own schedule (`syncInterval` with jitter, backoff on failure); webhooks and `POST /sync`
 * add keys directly. A deleted site's trees are removed.
 *
 * Sites of a suspended Customer are neither fetched nor published (their published tree stays,
 * unrouted by the operator); `Synced` says `CustomerSuspended`. A Customer informer requeues the
 * sites of its namespace when it changes, so a resumed customer's sites sync at once, with their
 * failure backoff forgotten.
 *
 * A worker never waits for a git host. It hands the site to a check of its own, which waits in
 * the host's queue (HostSlots) and is the only check of that site: a change, a delete or a
 * suspension while it waits takes it out of the queue (keeping its place in due order for a
 * changed site), and one while it runs is handled right after it. The finished check comes back
 * through the work queue, whose worker writes its status and schedules the next check.
 *
 * A reconcile reads top-down and ends in at most one status write (server-side apply of the
 * syncer's own fields), plus an Event when that status changes.
 */
import { GROUP, VERSION } from '../api/kind.js'
import type { Customer, StaticSite } from '../api/resources.js'
import { siteKey } from '../api/site-key.js'
import { DEFAULT_WEBHOOK_SECRET_KEY, REQUESTED_SYNC_ANNOTATION } from '../api/staticsite.js'
import type { Applier } from '../kube/apply.js'
import type { EventRecorder } from '../kube/events.js'
import { Informer } from '../kube/informer.js'
import { objectKey, splitKey } from '../kube/object.js'
import { type KubeRest, isNotFound } from '../kube/rest.js'
import { type HandleResult, WorkQueue } from '../kube/work-queue.js'
import type { Logger } from '../ops/log.js'
import type { Registry } from 'prom-client'
import { readSecretCredentials, readSecretData } from './secret-credentials.js'
import { SYNCED_REASONS } from './reasons.js'
import type { SiteSyncer } from './site-syncer.js'
import { asSyncError, SyncError } from './sync-error.js'
import { type LastOutcome, nextCheckDelay, parseDuration } from './sync-schedule.js'
import { currentSyncStatus, desiredSyncStatus, droppedSummary, type SyncOutcome } from './sync-status.js'
import type { SiteRef } from './webhook.js'
import { WebhookSecrets } from './webhook-secrets.js'

const API_VERSION = `${GROUP}/${VERSION}`

/** What the controller needs of the Customers (CustomerNamespaces of src/operator/customer provides it). */
export interface CustomerLookup {
  of(namespace: string): Customer | undefined
  onChange(listener: (namespace: string) => void): void
  start(): Promise<void>
  stop(): Promise<void>
}

/** A site's own webhook URL under the syncer's public base URL. */
export const siteWebhookUrl = (publicUrl: string, namespace: string, name: string) =>
  `${publicUrl.replace(/\/+$/, '')}/hooks/sites/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`

/** One site's check, from the hand-over until its outcome is reported. */
interface Check {
  readonly site: StaticSite
  /** When the site became due: its place in its host's queue, kept when the check is replaced. */
  readonly due: number
  readonly cancel: AbortController
  /** Set when it ends: the outcome, or none when it left the queue before its slot. */
  ended?: { readonly outcome?: SyncOutcome }
  /** The site changed (or went) while it waited or ran: look at it again at once. */
  stale: boolean
  readonly done: Promise<void>
}

const requestedSync = (site: StaticSite) => site.metadata.annotations?.[REQUESTED_SYNC_ANNOTATION]

export interface StaticSiteControllerOptions {
  readonly rest: KubeRest
  /** Writes status under the syncer's field manager, counted in `hostplane_api_writes_total`. */
  readonly applier: Applier
  readonly syncer: SiteSyncer
  readonly events: EventRecorder
  /** The Customer owning a namespace, and a listener for Customer changes (by namespace). */
  readonly customers: CustomerLookup
  readonly log: Logger
  readonly registry?: Registry
  /** The syncer's public base URL (`--public-url`), for `status.webhookURL`; none: no URL shown. */
  readonly publicUrl?: string
  /**
   * Workers of the work queue. They hand checks over without waiting for a git host, and write
   * status; git network use is limited separately per host. Default 16.
   */
  readonly concurrency?: number
  /** Watch one namespace only; default all. */
  readonly namespace?: string
  /** Only StaticSites matching this label selector (tests sharing a cluster); default all. */
  readonly siteSelector?: string
  readonly now?: () => Date
  readonly random?: () => number
}

export class StaticSiteController {
  private readonly informer: Informer<StaticSite>
  private readonly queue: WorkQueue
  private readonly failures = new Map<string, number>()
  /** At most one check per site, waiting for its host's slot, running, or ended and not yet reported. */
  private readonly checks = new Map<string, Check>()
  private readonly webhookSecrets: WebhookSecrets
  /** Keys of the first list not yet handled once; ready when empty. */
  private firstPass: Set<string> | undefined
  private unsubscribe: (() => void) | undefined

  constructor(private readonly options: StaticSiteControllerOptions) {
    this.informer = new Informer<StaticSite>({
      rest: options.rest,
      apiVersion: API_VERSION,
      plural: 'staticsites',
      namespace: options.namespace,
      labelSelector: options.siteSelector,
      log: options.log,
    })
    this.queue = new WorkQueue({
      name: 'syncer',
      concurrency: options.concurrency ?? 16,
      handle: (key) => this.handle(key),
      log: options.log,
      registry: options.registry,
    })
    this.webhookSecrets = new WebhookSecrets({
      read: (namespace, name) => readSecretData(options.rest, namespace, name),
      log: options.log,
    })
  }

  async start(): Promise<void> {
    this.unsubscribe = this.informer.onChange(({ type, object, previous }) => {
      // Status writes (ours and the operator's) change no generation and need no sync.
      if (
        type === 'added' ||
        type === 'deleted' ||
        object.metadata.generation !== previous?.metadata.generation ||
        (previous !== undefined && requestedSync(object) !== requestedSync(previous))
      )
        this.queue.add(objectKey(object))
    })
    // A suspended or resumed customer: its sites now, without the backoff of earlier failures.
    this.options.customers.onChange((namespace) => {
      for (const site of this.informer.list())
        if (site.metadata.namespace === namespace) {
          this.failures.delete(objectKey(site))
          this.queue.add(objectKey(site))
        }
    })
    await Promise.all([this.informer.start(), this.options.customers.start()])
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

  /** The site's own webhook secret (spec.webhook), read from its namespace; undefined when none. */
  async webhookSecret(key: string): Promise<string | undefined> {
    const site = this.informer.get(key)
    const ref = site?.spec.webhook?.secretRef
    if (!site || !ref) return undefined
    return this.webhookSecrets.get({
      namespace: site.metadata.namespace ?? '',
      name: ref.name,
      key: ref.key ?? DEFAULT_WEBHOOK_SECRET_KEY,
    })
  }

  /** Every site, for webhook matching. */
  sites(): SiteRef[] {
    return this.informer
      .list()
      .map((site) => ({ key: objectKey(site), repo: site.spec.repo, ref: site.spec.ref }))
  }

  /** The site key of every site, synced or not yet (the mirror feed keeps mirrors from dropping them). */
  siteKeys(): string[] {
    return this.informer
      .list()
      .map((site) => siteKey(site.metadata.namespace ?? '', site.metadata.name ?? ''))
  }

  async stop(): Promise<void> {
    this.unsubscribe?.()
    for (const check of this.checks.values()) check.cancel.abort()
    await this.queue.shutdown()
    await Promise.all([...this.checks.values()].map((check) => check.done))
    await Promise.all([this.informer.stop(), this.options.customers.stop()])
  }

  private async handle(key: string): Promise<HandleResult> {
    const check = this.checks.get(key)
    if (check && !check.ended) {
      // Waiting: it leaves its host's queue; running: it finishes. Either way it comes back here.
      check.stale = true
      check.cancel.abort()
      return
    }
    try {
      if (check?.ended?.outcome) {
        // Kept until reported, so a failed status write retries the report, not the sync.
        const next = await this.finish(key, check.site, check.ended.outcome)
        this.checks.delete(key)
        this.firstPass?.delete(key)
        return check.stale ? { requeueAfterMs: 0 } : next
      }
      this.checks.delete(key)
      // A site that waits for its host stays in the first pass until its check is reported.
      if (!(await this.reconcile(key, check?.due))) this.firstPass?.delete(key)
    } catch (error) {
      this.firstPass?.delete(key)
      throw error
    }
  }

  /** True when a check was handed over; false when the site needs none (deleted, suspended). */
  private async reconcile(key: string, due: number | undefined): Promise<boolean> {
    const { syncer, now = () => new Date() } = this.options
    const site = this.informer.get(key)
    const { namespace = '', name } = splitKey(key)
    if (!site) {
      this.failures.delete(key)
      await syncer.remove(siteKey(namespace, name))
      return false
    }
    const customer = this.options.customers.of(namespace)
    if (customer?.spec.suspended) {
      // Nothing to poll while suspended: the Customer's resume requeues the site.
      this.failures.delete(key)
      const error = new SyncError(
        'HP_ERR_SYNC_CUSTOMER_SUSPENDED',
        `customer suspended: ${customer.metadata.name} is suspended, so new commits are not fetched or published; the site syncs again as soon as the Customer's spec.suspended is false`,
      )
      await this.report(site, { ok: false, error }, now())
      return false
    }
    this.startCheck(key, site, due ?? Date.now())
    return true
  }

  /** Runs the site's sync as a task of its own; its end is handed back to a worker. */
  private startCheck(key: string, site: StaticSite, due: number): void {
    const { syncer, rest } = this.options
    const { namespace = '', name } = splitKey(key)
    const secret = site.spec.secretRef?.name
    const cancel = new AbortController()
    const sync = syncer.sync(
      {
        id: key,
        key: siteKey(namespace, name),
        repo: site.spec.repo,
        ref: site.spec.ref,
        path: site.spec.path,
        credentials: secret ? () => readSecretCredentials(rest, namespace, secret) : undefined,
      },
      { due, signal: cancel.signal },
    )
    const check: Check = {
      site,
      due,
      cancel,
      stale: false,
      done: sync
        .then(
          (result): { outcome?: SyncOutcome } => ({ outcome: { ok: true, result } }),
          (error: unknown): { outcome?: SyncOutcome } =>
            cancel.signal.aborted && error === cancel.signal.reason
              ? {}
              : { outcome: { ok: false, error: asSyncError(error) } },
        )
        .then((ended) => {
          check.ended = ended
          this.queue.add(key)
        }),
    }
    this.checks.set(key, check)
  }

  /** Reports a finished check and says when the site is due again. */
  private async finish(key: string, site: StaticSite, outcome: SyncOutcome): Promise<HandleResult> {
    const { random = Math.random, now = () => new Date() } = this.options
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
    const { publicUrl } = this.options
    const { name, namespace = '' } = site.metadata
    const status = desiredSyncStatus(site, outcome, now, {
      webhookURL: publicUrl && site.spec.webhook ? siteWebhookUrl(publicUrl, namespace, name) : undefined,
      handledSyncRequest: requestedSync(site),
    })
    if (!status) return
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
    // A status change that says nothing new about the sync (a handled sync request, a webhook URL)
    // is no Event.
    const previous = currentSyncStatus(site).conditions[0]
    if (!condition || (previous?.reason === condition.reason && previous.message === condition.message))
      return
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
