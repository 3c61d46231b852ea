/**
 * The operator process: an ops server (/healthz, /readyz, /metrics), optional leader election,
 * and the StaticSite controller, which runs only while this replica leads, so only the leader
 * writes. Losing the lease stops the controller and the replica campaigns again; stop() shuts
 * down gracefully (running reconciles finish, the lease is released for a fast hand-over).
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import Fastify, { type FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { apiWritesCounter } from '../kube/api-writes.js'
import { Applier } from '../kube/apply.js'
import { EventRecorder } from '../kube/events.js'
import type { KubeCredentials } from '../kube/kubeconfig.js'
import { LeaderElector } from '../kube/leader-election.js'
import { KubeRest } from '../kube/rest.js'
import type { Logger } from '../ops/log.js'
import { opsRoutes } from '../ops/ops-routes.js'
import type { OperatorConfig } from './staticsite/config.js'
import { StaticSiteController } from './staticsite/controller.js'

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
  /** Per API request; @default 30000 */
  readonly requestTimeoutMs?: number
}

export class Operator {
  readonly registry = new Registry()
  readonly identity: string
  private readonly rest: KubeRest
  private readonly stopping = new AbortController()
  private controller: StaticSiteController | undefined
  private elector: LeaderElector | undefined
  private server: FastifyInstance | undefined
  private running: Promise<void> | undefined

  private constructor(private readonly options: OperatorOptions) {
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

  /** This replica runs the controller (always true without leader election). */
  get leading(): boolean {
    return this.controller !== undefined
  }

  /** Caches synced and reconciling, or standing by as a healthy follower. */
  get ready(): boolean {
    if (this.controller) return this.controller.ready
    return this.elector !== undefined && !this.stopping.signal.aborted
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
      await this.server.register(opsRoutes, { registry: this.registry, ready: () => this.ready })
      await this.server.listen(listen)
      log.info({ listen }, 'serving /healthz, /readyz and /metrics')
    }
    const lead = async (leading: AbortSignal) => {
      const controller = new StaticSiteController({
        rest: this.rest,
        applier,
        events,
        config,
        log,
        registry: this.registry,
        concurrency: this.options.concurrency,
        resyncMs: this.options.resyncMs,
        siteSelector: this.options.siteSelector,
      })
      this.controller = controller
      log.info({ identity: this.identity }, 'starting the StaticSite controller')
      const started = controller.start()
      await new Promise<void>((resolve) =>
        leading.aborted ? resolve() : leading.addEventListener('abort', () => resolve(), { once: true }),
      )
      await controller.stop()
      await started
      this.controller = undefined
      log.info({ identity: this.identity }, 'stopped the StaticSite controller')
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
