/**
 * Builds the sync engine from plain configuration, for `hostplane syncer`, `hostplane serve`,
 * tests and the benchmark: one place that knows how the parts fit together.
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { DEFAULT_TIMEOUTS, GitClient, type GitTimeouts } from './git-client.js'
import { GitRunner } from './git-command.js'
import { writeAskPassHelper } from './git-credentials.js'
import { HostPolicy } from './host-policy.js'
import { HostSlots } from './host-slots.js'
import { RemoteAccess } from './remote-access.js'
import { PublishStore, type PublishStoreOptions } from './publish-store.js'
import { SiteSyncer } from './site-syncer.js'
import type { SyncMetrics } from './sync-metrics.js'
import { DEFAULT_LIMITS, type SiteLimits } from './tree-filter.js'

export interface SiteSyncerConfig {
  /** The sites root nginx serves (see docs/syncer.md for its layout). */
  readonly sitesRoot: string
  /** Private working directory: git mirrors, the askpass helper, per-call key files. */
  readonly workDir: string
  readonly allowedHosts: readonly string[]
  readonly allowedPrivateNetworks?: readonly string[]
  readonly caFile?: string
  readonly limits?: Partial<SiteLimits>
  /** A site's git mirror is compacted beyond this many packs (one per fetch). Default 10. */
  readonly mirrorMaxPacks?: number
  /** Revisions kept per site. Default 3. */
  readonly keep?: number
  readonly concurrency?: { readonly global?: number; readonly perHost?: number }
  /** Publishes (tree listing, checkout, switch) at once, after their host's slot is released. Default 4. */
  readonly publishConcurrency?: number
  readonly timeouts?: Partial<GitTimeouts>
  readonly metrics?: SyncMetrics
  readonly log: Logger
  /** Told of every switch and removal in the sites root (the mirror feed). */
  readonly onServedChange?: PublishStoreOptions['onChange']
  /** Sees every git argument list (tests prove no secret is ever one). */
  readonly onGitSpawn?: (args: readonly string[]) => void
}

/** The engine, with the sites root recovered from any interrupted run. */
export async function createSiteSyncer(
  config: SiteSyncerConfig,
): Promise<{ syncer: SiteSyncer; store: PublishStore }> {
  const home = join(config.workDir, 'home')
  const temp = join(config.workDir, 'tmp')
  await rm(temp, { recursive: true, force: true })
  await Promise.all([home, temp].map((dir) => mkdir(dir, { recursive: true, mode: 0o700 })))
  const runner = new GitRunner({ home, onSpawn: config.onGitSpawn })
  const limits = { ...DEFAULT_LIMITS, ...config.limits }
  const git = new GitClient({
    runner,
    askPass: await writeAskPassHelper(config.workDir),
    tempDir: temp,
    access: await RemoteAccess.create({
      caFile: config.caFile,
      emptyCaDir: join(config.workDir, 'no-ca-dir'),
      perHost: config.concurrency?.perHost,
    }),
    timeouts: { ...DEFAULT_TIMEOUTS, ...config.timeouts },
    // A commit's pack is compressed but holds the whole repository, not only spec.path: twice the
    // site limit leaves room for that and still bounds the disk a hostile repository can fill.
    maxFetchBytes: 2 * limits.maxSiteBytes,
  })
  const publishes = config.publishConcurrency ?? 4
  const store = new PublishStore({
    root: config.sitesRoot,
    keep: config.keep,
    onChange: config.onServedChange,
  })
  await store.recover()
  const syncer = new SiteSyncer({
    store,
    git,
    hosts: new HostPolicy({
      allowedHosts: config.allowedHosts,
      allowedPrivateNetworks: config.allowedPrivateNetworks,
    }),
    slots: new HostSlots({ ...config.concurrency, metrics: config.metrics }),
    localWork: new HostSlots({ global: publishes, perHost: publishes }),
    limits,
    mirrors: join(config.workDir, 'mirrors'),
    mirrorMaxPacks: config.mirrorMaxPacks,
    metrics: config.metrics,
    log: config.log,
  })
  return { syncer, store }
}
