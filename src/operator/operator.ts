/**
 * The operator process: an ops server (/healthz, /readyz, /metrics), optional leader election,
 * and the StaticSite, Customer, Webspace, Database, DatabaseServer and Backup controllers, which run only while this replica
 * leads, so only the leader writes. Losing the lease stops the controllers and the replica
 * campaigns again; stop() shuts down gracefully (running reconciles finish, the lease is released for a fast hand-over).
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import Fastify, { type FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { apiWritesCounter } from '../kube/api-writes.js'
import { Applier } from '../kube/apply.js'
import type { Controller } from '../kube/controller-builder.js'
import { EventRecorder } from '../kube/events.js'
import type { RefusalBackoffTimes } from '../kube/refusal-backoff.js'
import type { KubeCredentials } from '../kube/kubeconfig.js'
import { LeaderElector } from '../kube/leader-election.js'
import { KubeRest } from '../kube/rest.js'
import { answerHalfClosedClients } from '../ops/half-closed-clients.js'
import type { Logger } from '../ops/log.js'
import { opsRoutes } from '../ops/ops-routes.js'
import { customerController } from './customer/controller.js'
import { ClaimIndex } from './staticsite/claim-index.js'
import type { OperatorConfig } from './config.js'
import { staticSiteController } from './staticsite/controller.js'
import { webspaceController } from './webspace/controller.js'
import { databaseController } from './database/controller.js'
import { databaseServerController } from './database/server-controller.js'
import { ServerEngines } from './database/server-engines.js'
import { kindsAvailable } from './availability.js'
import { ownImage } from './own-image.js'
import { backupController } from './backup/controller.js'
import { backupTargetController } from './backup/target-controller.js'
import { backupScheduleController } from './backup/schedule-controller.js'
import { BACKUP_SCHEDULES, BACKUP_TARGETS, BACKUPS } from './backup/owned.js'
import { DATABASE_SERVERS, DATABASES } from './database/owned.js'
import { registryPullController } from './registry-pull/controller.js'
import type { PullTicketSigner } from '../build/registry/pull-ticket.js'

export interface OperatorOptions {
  /** A LightKubeConfig, or client-node's KubeConfig. */
  readonly kubeConfig: KubeCredentials
  readonly config: OperatorConfig
  readonly log: Logger
  /** Where /healthz, /readyz and /metrics listen; none when undefined (in-process tests). */
  readonly listen?: { readonly host: string; readonly port: number }
  /** Lease name (in the system namespace); no election when undefined (a single replica). */
  readonly leaderElection?: {
    readonly leaseName: string
    readonly leaseDurationMs?: number
    readonly renewDeadlineMs?: number
    readonly retryPeriodMs?: number
  }
  /** @default `<hostname>-<random>` */
  readonly identity?: string
  readonly concurrency?: number
  readonly resyncMs?: number
  /** See StaticSiteControllerOptions.siteSelector. */
  readonly siteSelector?: string
  /** See CustomerControllerOptions.customerSelector; it selects DatabaseServers too. */
  readonly customerSelector?: string
  /** See StaticSiteControllerOptions.tlsRecheckMs (webspaces alike). */
  readonly tlsRecheckMs?: number
  /** Per API request; @default 30000 */
  readonly requestTimeoutMs?: number
  /** How long a write the API server refused (a full quota, a denying policy) waits for its retry. */
  readonly refusalBackoff?: RefusalBackoffTimes
  /** Signs the customers' pull tickets for `config.registry` (required with it). */
  readonly pullTickets?: PullTicketSigner
  /** How often a customer's pull Secret is read again; @default 5 minutes */
  readonly pullSecretRecheckMs?: number
  /** How often a ready Database's size is measured again, and each DatabaseServer checked; @default 5 minutes */
  readonly databaseRecheckMs?: number
}

export class Operator {
  readonly registry = new Registry()
  readonly identity: string
  private readonly rest: KubeRest
  private readonly stopping = new AbortController()
  private controllers: readonly Controller[] | undefined
  private elector: LeaderElector | undefined
  private server: FastifyInstance | undefined
  private running: Promise<void> | undefined

  private constructor(private readonly options: OperatorOptions) {
    if (options.config.registry && !options.pullTickets)
      throw new Error("a tenants' registry needs the pull ticket signer (--registry-pull-key)")
    this.identity = options.identity ?? `${hostname()}-${randomBytes(4).toString('hex')}`
    this.rest = new KubeRest(options.kubeConfig, {
      timeoutMs: options.requestTimeoutMs ?? 30_000,
      userAgent: `hostplane-operator/${this.identity}`,
    })
  }

  static async start(options: OperatorOptions): Promise<Operator> {
    const operator = new Operator(options)
    await operator.run()
    return operator
  }

  /** Base URL of /healthz, /readyz and /metrics (the port chosen when `listen` asked for 0). */
  get opsUrl(): string | undefined {
    const address = this.server?.server.address()
    if (!address || typeof address === 'string') return undefined
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${host}:${address.port}`
  }

  /** This replica runs the controller (always true without leader election). */
  get leading(): boolean {
    return this.controllers !== undefined
  }

  /**
   * Caches synced, reconciling and hearing from the API server (a hung one makes it false within
   * a minute), or standing by as a follower that hears from it.
   */
  get ready(): boolean {
    if (this.controllers) return this.controllers.every((c) => c.ready && !c.stalled)
    return this.elector !== undefined && !this.stopping.signal.aborted && !this.elector.stalled
  }

  private async run(): Promise<void> {
    const { config, log, listen, leaderElection } = this.options
    collectDefaultMetrics({ register: this.registry })
    const countWrite = apiWritesCounter(this.registry)
    const applier = new Applier(this.rest, countWrite)
    const events = new EventRecorder({
      applier,
      controller: 'hostplane.dev/operator',
      instance: this.identity,
      log,
    })
    if (listen) {
      this.server = Fastify({ logger: false })
      answerHalfClosedClients(this.server.server)
      await this.server.register(opsRoutes, { registry: this.registry, ready: () => this.ready })
      await this.server.listen(listen)
      log.info({ listen }, 'serving /healthz, /readyz and /metrics')
    }
    const lead = async (leading: AbortSignal) => {
      // One owner per domain across StaticSites and Webspaces: both controllers share the claims.
      const claims = new ClaimIndex()
      const sites = staticSiteController({
        rest: this.rest,
        applier,
        events,
        config,
        claims,
        log,
        registry: this.registry,
        concurrency: this.options.concurrency,
        resyncMs: this.options.resyncMs,
        siteSelector: this.options.siteSelector,
        customerSelector: this.options.customerSelector,
        tlsRecheckMs: this.options.tlsRecheckMs,
        refusalBackoff: this.options.refusalBackoff,
      })
      const customers = customerController({
        rest: this.rest,
        applier,
        events,
        config,
        log,
        registry: this.registry,
        resyncMs: this.options.resyncMs,
        customerSelector: this.options.customerSelector,
        refusalBackoff: this.options.refusalBackoff,
      })
      const webspaces = webspaceController({
        rest: this.rest,
        applier,
        events,
        claims,
        config,
        log,
        registry: this.registry,
        concurrency: this.options.concurrency,
        resyncMs: this.options.resyncMs,
        customerSelector: this.options.customerSelector,
        tlsRecheckMs: this.options.tlsRecheckMs,
        refusalBackoff: this.options.refusalBackoff,
      })
      const { pullTickets } = this.options
      const pullSecrets =
        config.registry && pullTickets
          ? registryPullController({
              rest: this.rest,
              applier,
              log,
              registry: this.registry,
              tenantRegistry: config.registry,
              signer: pullTickets,
              recheckMs: this.options.pullSecretRecheckMs,
              resyncMs: this.options.resyncMs,
              customerSelector: this.options.customerSelector,
            })
          : undefined
      const engines = new ServerEngines({ rest: this.rest, systemNamespace: config.systemNamespace })
      const withDatabases = await kindsAvailable(this.rest, log, 'Databases', [DATABASES, DATABASE_SERVERS])
      const withBackups = await kindsAvailable(this.rest, log, 'Backups', [
        BACKUPS,
        BACKUP_TARGETS,
        BACKUP_SCHEDULES,
      ])
      const backupImage = withBackups
        ? (config.backupImage ?? (await ownImage(this.rest, process.env, log)))
        : undefined
      const databaseOptions = {
        rest: this.rest,
        applier,
        events,
        engines,
        log,
        registry: this.registry,
        resyncMs: this.options.resyncMs,
        recheckMs: this.options.databaseRecheckMs,
        serverSelector: this.options.customerSelector,
      }
      const databaseControllers = withDatabases
        ? [
            databaseController({
              ...databaseOptions,
              concurrency: this.options.concurrency,
              customerSelector: this.options.customerSelector,
            }),
            databaseServerController(databaseOptions),
          ]
        : []
      const controllers = [
        sites,
        customers,
        webspaces,
        ...databaseControllers,
        ...(withBackups
          ? [
              backupController({
                rest: this.rest,
                applier,
                events,
                log,
                registry: this.registry,
                systemNamespace: config.systemNamespace,
                settings: backupImage ? { image: backupImage } : undefined,
                resyncMs: this.options.resyncMs,
                customerSelector: this.options.customerSelector,
                targetSelector: this.options.customerSelector,
              }),
              backupScheduleController({
                rest: this.rest,
                applier,
                events,
                log,
                registry: this.registry,
                resyncMs: this.options.resyncMs,
                customerSelector: this.options.customerSelector,
              }),
              backupTargetController({
                rest: this.rest,
                applier,
                events,
                log,
                registry: this.registry,
                systemNamespace: config.systemNamespace,
                image: backupImage,
                resyncMs: this.options.resyncMs,
                targetSelector: this.options.customerSelector,
              }),
            ]
          : []),
        ...(pullSecrets ? [pullSecrets] : []),
      ]
      this.controllers = controllers
      log.info(
        {
          identity: this.identity,
          registryPull: pullSecrets !== undefined,
          databases: withDatabases,
          backups: withBackups,
        },
        'starting the controllers',
      )
      const started = Promise.all(controllers.map((c) => c.start()))
      await new Promise<void>((resolve) =>
        leading.aborted ? resolve() : leading.addEventListener('abort', () => resolve(), { once: true }),
      )
      await Promise.all(controllers.map((c) => c.stop()))
      await started
      await engines.close()
      this.controllers = undefined
      log.info({ identity: this.identity }, 'stopped the controllers')
    }
    if (leaderElection) {
      this.elector = new LeaderElector({
        rest: this.rest,
        namespace: config.systemNamespace,
        name: leaderElection.leaseName,
        identity: this.identity,
        log,
        countWrite,
        leaseDurationMs: leaderElection.leaseDurationMs,
        renewDeadlineMs: leaderElection.renewDeadlineMs,
        retryPeriodMs: leaderElection.retryPeriodMs,
      })
      this.running = this.elector.run(this.stopping.signal, lead)
    } else {
      this.running = lead(this.stopping.signal)
    }
  }

  /** Graceful: stop taking work, let running reconciles finish, release the lease, close the server. */
  async stop(): Promise<void> {
    this.stopping.abort()
    await this.running
    await this.server?.close()
    this.rest.close()
  }
}
