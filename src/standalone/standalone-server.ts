/**
 * `hostplane serve` as one service: StaticSite files from a directory (site-files.ts), the sync
 * engine publishing into `<data dir>/sites` with the same atomic store as the cluster, the built-in
 * static server on the public listener, and a control listener with `/healthz`, `/readyz`,
 * `/metrics`, the webhooks and `POST /sync`. File changes are picked up by `fs.watch` and, for what
 * a watch misses (network filesystems, editors that rename), a periodic rescan.
 */
import { type FSWatcher, watch } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { controlServer } from '../ops/control-server.js'
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { siteKey } from '../api/site-key.js'
import type { Logger } from '../ops/log.js'
import { opsRoutes } from '../ops/ops-routes.js'
import { responseMetrics } from '../serve/response-metrics.js'
import type { ServedSite } from '../serve/served-site.js'
import { StaticServer } from '../serve/static-server.js'
import { createSiteSyncer, type SiteSyncerConfig } from '../syncer/create-site-syncer.js'
import { syncerHttpApi, type HttpApiOptions } from '../syncer/http-api.js'
import { SyncMetrics } from '../syncer/sync-metrics.js'
import { parseDuration } from '../syncer/sync-schedule.js'
import type { AcmeConfig, AutomaticTls } from './acme/automatic-tls.js'
import type { TlsSite } from './acme/certificate-domains.js'
import { LOCAL_REPO_HOST, localRepoPath } from './local-repos.js'
import { type DrivenSite, SiteDriver } from './site-driver.js'
import { type ArrangedSite, ClaimOrder, siteId } from './claim-order.js'
import { type RoutedSite, routeSites, type SiteStatus } from './routed-sites.js'
import { type FileSite, loadSiteFiles, type SiteFileCache } from './site-files.js'
import { localPanel } from './local-panel.js'
import { SiteRefError, writeSiteRef } from './site-ref.js'
import { siteRefRoutes } from './site-ref-routes.js'

export interface Address {
  readonly host: string
  readonly port: number
}

/** Automatic TLS: an HTTPS listener with certificates from an ACME CA (acme/automatic-tls.ts). */
export interface StandaloneTls extends AcmeConfig {
  readonly listen: Address
}

export interface StandaloneConfig extends Pick<
  SiteSyncerConfig,
  'allowedPrivateNetworks' | 'caFile' | 'limits' | 'keep' | 'timeouts'
> {
  readonly sitesDir: string
  /** Holds `sites/` (the published trees) and `work/` (git mirrors); created when missing. */
  readonly dataDir: string
  readonly listen: Address
  readonly controlListen: Address
  readonly allowedHosts: readonly string[]
  /** Directory of local repositories for `https://repos.localhost/<name>` (see local-repos.ts). */
  readonly localRepos?: string
  /** Sites without `spec.domains` answer on `<name>-<namespace>.<pagesDomain>`. */
  readonly pagesDomain: string
  readonly webhookSecrets: HttpApiOptions['webhookSecrets']
  readonly syncToken?: string
  /** Where the sync token can be read, for the panel's sign-in page (e.g. `.data/sync-token`). */
  readonly syncTokenHint?: string
  /** How often the sites directory is read again even without a change event. @default 10000 */
  readonly rescanIntervalMs?: number
  /** Sites synced at once. @default 4 */
  readonly workers?: number
  /** Off when undefined: HTTP only. */
  readonly tls?: StandaloneTls
  readonly log: Logger
}

export interface Standalone {
  /** The public listener, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** The HTTPS listener when automatic TLS is on, e.g. `https://127.0.0.1:8443`. */
  readonly httpsUrl?: string
  /** The control listener (health, metrics, webhooks, sync). */
  readonly controlUrl: string
  /** Routed sites, first found first, as the last scan found them. */
  sites(): readonly ServedSite[]
  /** Every site of the files: routed, or why not (also `GET /status/sites` on the control listener). */
  status(): readonly SiteStatus[]
  /** What is wrong with the site files, one line each, as the last scan found it. */
  problems(): readonly string[]
  /** Resolves once every site found so far has been synced or has failed once. */
  settled(): Promise<void>
  /** Reads the sites directory again now. */
  rescan(): Promise<void>
  stop(): Promise<void>
}

const urlOf = ({ address, port }: { address: string; port: number }, scheme = 'http') =>
  `${scheme}://${address.includes(':') ? `[${address}]` : address}:${port}`

export async function startStandalone(config: StandaloneConfig): Promise<Standalone> {
  const { log, sitesDir } = config
  if (!(await stat(sitesDir).catch(() => undefined))?.isDirectory())
    throw new Error(`the sites directory ${sitesDir} does not exist or is not a directory`)
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const countResponse = responseMetrics(registry)
  const fileProblems = new Gauge({
    name: 'hostplane_serve_site_file_problems',
    help: 'Problems the last scan of the sites directory found (invalid files, ignored definitions, domain conflicts)',
    registers: [registry],
  })
  // git runs with other working directories: every path it sees must be absolute.
  const dataDir = resolve(config.dataDir)
  const localRepos = config.localRepos === undefined ? undefined : resolve(config.localRepos)
  const sitesRoot = join(dataDir, 'sites')
  const { syncer } = await createSiteSyncer({
    ...config,
    // The host policy refuses an empty list (in a cluster that is a mistake); here it means "local
    // repositories only". repos.localhost is loopback, which the policy refuses to reach anyway.
    allowedHosts: config.allowedHosts.length > 0 ? config.allowedHosts : [LOCAL_REPO_HOST],
    sitesRoot,
    workDir: join(dataDir, 'work'),
    metrics: new SyncMetrics(registry),
  })
  const tls = config.tls && (await startTls(config.tls, { dataDir, log, registry }))
  const server = new StaticServer({
    sites: [],
    root: sitesRoot,
    log,
    onResponse: ({ status }) => countResponse(status),
    intercept: tls && ((request, response) => tls.intercept(request, response)),
  })
  const driver = new SiteDriver({
    syncer,
    log,
    registry,
    concurrency: config.workers,
    onPublished: (key) => server.notifyPublished(key),
  })

  let routed: readonly RoutedSite[] = []
  let definitions = new Map<string, ArrangedSite>()
  let status: readonly SiteStatus[] = []
  let problems: readonly string[] = []
  let scanned = false
  const claims = new ClaimOrder()
  const parsedFiles: SiteFileCache = new Map()
  const scan = async () => {
    const files = await loadSiteFiles(sitesDir, parsedFiles)
    const arranged = claims.arrange(files.sites, files.unreadable)
    definitions = new Map(arranged.sites.map((entry) => [siteId(entry), entry]))
    const routing = routeSites(arranged.sites, config.pagesDomain)
    routed = routing.routed
    status = routing.status
    server.updateSites(routed.map(({ served }) => served))
    tls?.update(routed.map(({ entry, served }) => tlsSite(entry, served.domains)))
    driver.update(arranged.sites.map((entry) => drivenSite(entry, localRepos)))
    const next = [...files.problems, ...arranged.problems, ...routing.problems]
    if (!scanned || next.join('\n') !== problems.join('\n')) {
      for (const problem of next) log.error(problem)
      log.info({ sites: routed.length, problems: next.length }, 'site files read')
    }
    problems = next
    fileProblems.set(next.length)
    scanned = true
  }

  let scanning: Promise<void> | undefined
  let again = false
  const rescan = async (): Promise<void> => {
    if (scanning) {
      again = true
      return scanning
    }
    scanning = scan()
      .catch((error: unknown) => log.error({ err: error }, `reading ${sitesDir} failed; sites unchanged`))
      .finally(() => {
        scanning = undefined
      })
    await scanning
    if (again) {
      again = false
      await rescan()
    }
  }

  await rescan()
  driver.start()
  // Ready once every site of the first scan was synced or failed once, as the cluster syncer is
  // after its first pass: a sync that hangs keeps it unready until it gives up.
  let ready = false
  void driver.settled().then(() => {
    ready = true
  })
  let debounce: NodeJS.Timeout | undefined
  const watcher: FSWatcher = watch(sitesDir, () => {
    clearTimeout(debounce)
    debounce = setTimeout(() => void rescan(), 100)
  })
  watcher.on('error', (error) =>
    log.warn({ err: error }, 'watching the sites directory failed; rescans continue'),
  )
  // A site waiting for its local repository syncs as soon as the repository appears: the watch
  // sees it created in the directory, the rescan tick sees what a watch misses (a first commit).
  let reposDebounce: NodeJS.Timeout | undefined
  const reposWatcher = await watchLocalRepos(localRepos, () => {
    clearTimeout(reposDebounce)
    reposDebounce = setTimeout(() => driver.localReposChanged(), 100)
  })
  reposWatcher?.on('error', (error) =>
    log.warn({ err: error }, 'watching the local repositories failed; they are checked at every rescan'),
  )
  const interval = setInterval(() => {
    void rescan()
    driver.localReposChanged()
  }, config.rescanIntervalMs ?? 10_000)

  const control = controlServer(log)
  await control.register(opsRoutes, { registry, ready: () => ready })
  await control.register(syncerHttpApi, {
    target: driver,
    webhookSecrets: config.webhookSecrets,
    syncToken: config.syncToken,
  })
  control.get('/status/sites', async () => ({
    sites: status.map((site) => ({ ...site, sync: driver.state(site.site) })),
  }))
  const setRef = async (id: string, ref: string) => {
    const entry = definitions.get(id)
    if (!entry) throw new SiteRefError(`no StaticSite ${id}`, true)
    await writeSiteRef(entry, ref)
    await rescan()
  }
  await control.register(siteRefRoutes, { syncToken: config.syncToken, setRef })
  await control.register(localPanel, {
    syncToken: config.syncToken,
    tokenHint: config.syncTokenHint ?? 'the sync token file',
    listenHost: config.controlListen.host,
    rows: () =>
      status.map((site) => ({
        status: site,
        sync: driver.state(site.site) ?? { state: 'pending', revisions: [] },
        ref: definitions.get(site.site)?.site.spec.ref ?? '',
      })),
    fileOf: (id) => definitions.get(id)?.file,
    problems: () => problems,
    trigger: (id) => driver.trigger(id),
    setRef,
  })
  if (tls) control.get('/status/tls', async () => ({ domains: tls.status() }))
  const controlUrl = await control.listen({
    host: config.controlListen.host,
    port: config.controlListen.port,
  })
  const url = urlOf(await server.listen(config.listen.port, config.listen.host))
  let httpsUrl: string | undefined
  if (tls && config.tls) {
    const address = await server.listenTls(config.tls.listen.port, config.tls.listen.host, {
      SNICallback: tls.sni,
    })
    httpsUrl = urlOf(address, 'https')
    tls.start(address.port)
  }

  return {
    url,
    httpsUrl,
    controlUrl,
    sites: () => routed.map(({ served }) => served),
    status: () => status,
    problems: () => problems,
    settled: () => driver.settled(),
    rescan,
    async stop() {
      watcher.close()
      reposWatcher?.close()
      clearInterval(interval)
      clearTimeout(debounce)
      clearTimeout(reposDebounce)
      await Promise.all([server.close(), control.close(), tls?.stop()])
      await driver.stop()
      await scanning
    },
  }
}

/** Watches the local repositories directory when there is one (it may be created later). */
async function watchLocalRepos(dir: string | undefined, changed: () => void): Promise<FSWatcher | undefined> {
  if (dir === undefined || !(await stat(dir).catch(() => undefined))?.isDirectory()) return undefined
  return watch(dir, changed)
}

/**
 * The ACME client and its crypto libraries load only when HTTPS is asked for: without it they are
 * memory the process carries for nothing.
 */
async function startTls(...args: Parameters<typeof AutomaticTls.start>): Promise<AutomaticTls> {
  const { AutomaticTls } = await import('./acme/automatic-tls.js')
  return AutomaticTls.start(...args)
}

const keyOf = ({ site }: FileSite) => siteKey(site.metadata.namespace ?? '', site.metadata.name)

const tlsSite = (entry: FileSite, domains: readonly string[]): TlsSite => ({
  id: siteId(entry),
  domains,
  mode: entry.site.spec.tls.mode,
})

function drivenSite(entry: FileSite, localRepos: string | undefined): DrivenSite {
  const { spec } = entry.site
  return {
    id: siteId(entry),
    repo: spec.repo,
    ref: spec.ref,
    intervalMs: parseDuration(spec.syncInterval),
    source: {
      id: siteId(entry),
      key: keyOf(entry),
      repo: spec.repo,
      ref: spec.ref,
      path: spec.path,
      localRepo: localRepoPath(spec.repo, localRepos),
    },
  }
}
