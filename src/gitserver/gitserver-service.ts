/**
 * `hostplane gitserver` as one service: the directory (keys and repositories from informers),
 * the repositories on the volume, the pre-receive hook's socket with the push gate, the SSH
 * server, and /healthz, /readyz and /metrics on an HTTP listener of their own. The CLI runs it;
 * tests run it as a process (test/gitserver) or in-process.
 */
import { mkdir, realpath } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { registryTokenRoutes } from '../build/registry/token-routes.js'
import { apiWritesCounter } from '../kube/api-writes.js'
import { Applier } from '../kube/apply.js'
import { fieldManagerOf } from '../kube/field-managers.js'
import type { KubeCredentials } from '../kube/kubeconfig.js'
import { KubeRest } from '../kube/rest.js'
import { controlServer } from '../ops/control-server.js'
import type { Logger } from '../ops/log.js'
import { opsRoutes } from '../ops/ops-routes.js'
import { GitRunner } from '../syncer/git-command.js'
import type { AddressLimits } from './address-limiter.js'
import { Directory } from './directory.js'
import { HookServer } from './hook-server.js'
import { installHooks } from './hook-script.js'
import { GitServerMetrics } from './metrics.js'
import { listWebspaceUids, RepositoryCollector } from './collector.js'
import { BranchGate, type PushGate } from './push-gate.js'
import { ReleaseGate, type TenantRegistry } from './release-gate.js'
import { SourceDrop, sourceRoutes } from './source-drop.js'
import { Repositories } from './repositories.js'
import { GitSshServer, type SshTimeouts } from './ssh-server.js'

/** How often the volume is searched for repositories of deleted Webspaces that a watch event missed. */
const COLLECT_EVERY_MS = 10 * 60_000

export interface GitServerConfig {
  readonly kubeConfig: KubeCredentials
  readonly log: Logger
  readonly hostKey: string
  /** The repositories' volume. */
  readonly reposDir: string
  /** Private directory for the hooks and the hook socket (an emptyDir is fine). */
  readonly runDir: string
  readonly ssh: { readonly host: string; readonly port: number }
  /** /healthz, /readyz, /metrics. */
  readonly listen: { readonly host: string; readonly port: number }
  /** Lowers every tier's push size limit, bytes. */
  readonly maxPushBytes?: number
  readonly timeouts?: SshTimeouts
  readonly addressLimits?: AddressLimits
  /**
   * The tenants' registry: pushes are built into it and become Releases (ReleaseGate), and the
   * HTTP listener serves its token realm at /registry/token. Without it a push may only move the
   * Webspace's branch and nothing is built (BranchGate).
   */
  readonly registry?: TenantRegistry
  /**
   * With a registry: run buildpacks and dockerfile builds as Jobs in the build namespace, whose
   * Pods fetch the commit's tree from `sourceUrl` (where they reach this process's HTTP listener).
   */
  readonly jobBuilds?: { readonly sourceUrl: string }
  /** Decides pushes instead of the gate `registry` chooses (tests). */
  readonly gate?: PushGate
  /** Only Customers, Webspaces and SshKeys with this label (tests sharing a cluster). */
  readonly labelSelector?: string
}

export interface GitServerService {
  readonly ssh: { readonly host: string; readonly port: number }
  readonly url: string
  readonly directory: Directory
  stop(): Promise<void>
}

export async function startGitServer(config: GitServerConfig): Promise<GitServerService> {
  const { log } = config
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const metrics = new GitServerMetrics(registry)
  const manager = fieldManagerOf('gitserver')
  const rest = new KubeRest(config.kubeConfig, { userAgent: manager })
  const applier = new Applier(rest, apiWritesCounter(registry), manager)
  const directory = new Directory({
    rest,
    applier,
    log,
    maxPushBytes: config.maxPushBytes,
    labelSelector: config.labelSelector,
  })

  await mkdir(config.reposDir, { recursive: true })
  await mkdir(config.runDir, { recursive: true, mode: 0o700 })
  const reposDir = await realpath(config.reposDir)
  const runDir = await realpath(config.runDir)
  const hooksDir = join(runDir, 'hooks')
  const home = join(runDir, 'home')
  await mkdir(home, { recursive: true, mode: 0o700 })
  await installHooks(hooksDir)
  const repositories = new Repositories({
    reposDir,
    hooksDir,
    git: new GitRunner({ home }),
    log,
    removed: metrics.repositoriesRemoved,
  })
  const collector = new RepositoryCollector({
    existingUids: () => listWebspaceUids(rest),
    repositories,
    liveUids: () => directory.webspaceUids(),
    log,
  })
  const sources = config.jobBuilds && new SourceDrop(join(runDir, 'sources'), config.jobBuilds.sourceUrl)
  const jobs = sources && {
    sources,
    gitHome: home,
    customerOf: (customer: string) => directory.allRepositories().find((r) => r.customer === customer),
  }
  const gate =
    config.gate ??
    (config.registry ? new ReleaseGate({ rest, registry: config.registry, log, jobs }) : undefined) ??
    new BranchGate(
      (namespace, webspace) =>
        directory.allRepositories().find((r) => r.namespace === namespace && r.webspace === webspace)?.branch,
    )
  const hooks = new HookServer({ socketPath: join(runDir, 'hook.sock'), gate, log })
  await hooks.start()
  const ssh = new GitSshServer({
    hostKey: config.hostKey,
    directory,
    repositories,
    hooks,
    hooksDir,
    log,
    metrics,
    timeouts: config.timeouts,
    addressLimits: config.addressLimits,
    git: { home },
  })
  directory.onKeysChanged(() => ssh.recheckSessions())
  directory.onRepository((entry) => {
    repositories
      .ensure(entry)
      .catch((error: unknown) =>
        log.error({ err: error, uid: entry.uid }, 'could not prepare the repository'),
      )
  })

  directory.onWebspaceDeleted((webspace) => void collector.webspaceDeleted(webspace))

  const app = controlServer(log)
  await app.register(opsRoutes, { registry, ready: () => directory.ready })
  if (config.registry) {
    const { tokens, pullTickets } = config.registry
    await app.register(registryTokenRoutes, { issuer: tokens, pullTickets })
  }
  if (sources) await app.register(sourceRoutes, { drop: sources })
  const url = await app.listen({ host: config.listen.host, port: config.listen.port })
  await directory.start()
  // Only once the caches are synced (webspaceUids() is undefined before): an empty cache is not "every Webspace was deleted".
  void collector.collect()
  const collections = setInterval(() => void collector.collect(), COLLECT_EVERY_MS)
  collections.unref()
  const address = await ssh.listen(config.ssh.host, config.ssh.port)
  log.info({ ssh: address, url, instance: hostname() }, 'gitserver started')
  return {
    ssh: address,
    url,
    directory,
    async stop() {
      clearInterval(collections)
      await ssh.close()
      await Promise.all([app.close(), hooks.stop()])
      await directory.stop()
      await sources?.close()
      rest.close()
    },
  }
}
