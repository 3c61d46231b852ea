/**
 * Keeps a mirror's sites root equal to what the syncer serves. Each round asks the feed for every
 * site's served revision (the request is held until something changes), then for each site:
 * already served → nothing; kept here → served again (a rollback, no download); otherwise the
 * manifest is fetched, the tree staged (tree-staging.ts) and switched in by the same publish store
 * the syncer uses, so a reader of this replica sees one whole revision or the other. Sites the
 * syncer no longer lists are removed; sites it syncs but serves nothing of yet are left as they
 * are. A site that fails keeps serving its last revision and is tried again after a backoff; when
 * the syncer cannot be reached, every site keeps serving.
 */
import type { Logger } from 'pino'
import type { PublishStore } from '../syncer/publish-store.js'
import { eachLimited } from './each-limited.js'
import type { FeedClient } from './feed-client.js'
import type { FeedState, SiteRevision } from './feed-protocol.js'
import { MirrorError } from './mirror-error.js'
import type { MirrorMetrics } from './mirror-metrics.js'
import { stageTree } from './tree-staging.js'
import { TreeManifests } from './tree-manifest.js'

export interface MirrorFollowerOptions {
  readonly store: PublishStore
  readonly client: FeedClient
  readonly metrics: MirrorMetrics
  readonly log: Logger
  /** Sites brought up to date at once. Default 4. */
  readonly sites?: number
  /** Files downloaded at once per site. Default 8. */
  readonly downloads?: number
  /** Wait after a failed round, doubled up to `maxBackoffMs`. Defaults 500 ms and 30 s. */
  readonly backoffMs?: number
  readonly maxBackoffMs?: number
}

type Applied = 'published' | 'rolled-back' | 'unchanged'

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
  })

export class MirrorFollower {
  private readonly stopping = new AbortController()
  private readonly manifests = new TreeManifests()
  private loop: Promise<void> | undefined
  private caughtUpOnce = false

  constructor(private readonly options: MirrorFollowerOptions) {}

  /** True once one round brought every site to the syncer's revision; it stays true while the syncer is away. */
  get caughtUp(): boolean {
    return this.caughtUpOnce
  }

  start(): void {
    this.loop ??= this.follow()
  }

  async stop(): Promise<void> {
    this.stopping.abort()
    await this.loop
  }

  private async follow(): Promise<void> {
    const { log, metrics, backoffMs = 500, maxBackoffMs = 30_000 } = this.options
    const signal = this.stopping.signal
    let after: string | undefined
    let wait = backoffMs
    let syncerAway = false
    while (!signal.aborted) {
      let state: FeedState
      try {
        state = await this.options.client.revisions(after, signal)
      } catch (error) {
        if (signal.aborted) break
        const failure = error instanceof MirrorError ? error : undefined
        if (!syncerAway || !failure?.transient)
          log[failure?.transient ? 'warn' : 'error'](
            { err: error, code: failure?.code },
            'cannot follow the syncer; every site keeps serving its last revision',
          )
        syncerAway = true
        metrics.failures.inc({ code: failure?.code ?? 'HP_ERR_MIRROR_UNREACHABLE' })
        await sleep(wait, signal)
        wait = Math.min(wait * 2, maxBackoffMs)
        continue
      }
      if (syncerAway) log.info('following the syncer again')
      syncerAway = false
      metrics.lastRound.set(Date.now() / 1000)
      const behind = await this.round(state)
      metrics.behind.set(behind)
      if (behind === 0) {
        if (!this.caughtUpOnce) log.info({ sites: state.sites.length }, 'caught up with the syncer')
        this.caughtUpOnce = true
        after = state.version
        wait = backoffMs
      } else {
        // Ask again at once after the backoff, not only when the syncer changes something.
        after = undefined
        await sleep(wait, signal)
        wait = Math.min(wait * 2, maxBackoffMs)
      }
    }
  }

  /** Brings every site to `state`; returns how many are still behind it. */
  private async round(state: FeedState): Promise<number> {
    const { store, log, metrics, sites = 4 } = this.options
    const listed = new Set([...state.sites.map((site) => site.key), ...state.pending])
    for (const key of await store.keys()) {
      if (listed.has(key)) continue
      await store.remove(key)
      metrics.applied.inc({ action: 'removed' })
      log.info({ site: key }, 'site removed: the syncer no longer serves it')
    }
    let behind = 0
    await eachLimited(state.sites, sites, async (site) => {
      try {
        const action = await this.apply(site)
        if (action === 'unchanged') return
        metrics.applied.inc({ action })
        const published = Date.parse(site.publishedAt)
        if (Number.isFinite(published))
          metrics.propagation.observe(Math.max(0, Date.now() - published) / 1000)
      } catch (error) {
        behind++
        const failure = error instanceof MirrorError ? error : undefined
        metrics.failures.inc({ code: failure?.code ?? 'HP_ERR_MIRROR_DISK' })
        log[failure?.transient ? 'warn' : 'error'](
          { err: error, code: failure?.code, site: site.key, tree: site.tree },
          'site not mirrored; it keeps serving its last revision',
        )
      }
    })
    return behind
  }

  private async apply(site: SiteRevision): Promise<Applied> {
    const { store, client, log, metrics, downloads = 8 } = this.options
    if ((await store.served(site.key))?.tree === site.tree) return 'unchanged'
    const kept = await store.find(site.key, site.commit, site.path)
    if (kept) {
      await store.activate(site.key, kept)
      log.info({ site: site.key, commit: site.commit }, 'kept revision served again')
      return 'rolled-back'
    }
    const manifest = await client.manifest(site.key, site.tree)
    const staged = await store.stage(site.key)
    try {
      const staging = await stageTree(
        { store, client, manifests: this.manifests, downloads },
        site,
        manifest,
        staged,
      )
      await store.publish(site.key, staged, site.commit, site.path)
      // Every file was verified against it: the next revision reuses files without hashing them.
      this.manifests.remember(store.treeDir(site.key, site.tree), manifest)
      metrics.fetchedBytes.inc(staging.fetchedBytes)
      metrics.reusedFiles.inc(staging.reusedFiles)
      log.info({ site: site.key, commit: site.commit, ...staging }, 'revision mirrored')
      return 'published'
    } catch (error) {
      await store.discard(staged)
      throw error
    }
  }
}
