/**
 * `hostplane panel` as one service: the impersonating clients, the token store, the audit log, the
 * API listener (with the web UI when OpenID Connect sign-in is on) and /healthz, /readyz and
 * /metrics on a listener of their own (not exposed with the API). The CLI runs it; tests run it
 * in-process.
 */
import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Counter, Registry } from 'prom-client'
import type { KubeCredentials } from '../kube/kubeconfig.js'
import { controlServer } from '../ops/control-server.js'
import type { Logger } from '../ops/log.js'
import { opsRoutes } from '../ops/ops-routes.js'
import { AuditLog, type AuditLogOptions } from './audit/audit-log.js'
import { BearerAuth } from './auth/bearer.js'
import { FailureLimiter, type FailureLimits } from './auth/failure-limiter.js'
import type { SignInOptions } from './auth/sign-in.js'
import { PanelService } from './customer-service.js'
import { PanelClients } from './kube-clients.js'
import { panelApp, type PanelAppOptions, type PanelPages } from './panel-app.js'
import { DEFAULT_TOKEN_NAMESPACE, TokenStore } from './tokens/token-store.js'
import { adminPages } from './ui/admin-pages.js'
import { customerPages } from './ui/routes.js'

/** The web UI: the customers' pages and, beside them, the provider admins'. */
async function panelPages(app: FastifyInstance, pages: PanelPages): Promise<void> {
  await customerPages(app, pages)
  await adminPages(app, pages)
}

export interface PanelConfig {
  /** The panel's own credentials: its ServiceAccount, which may only impersonate. */
  readonly kubeConfig: KubeCredentials
  readonly log: Logger
  /** The API. */
  readonly listen: { readonly host: string; readonly port: number }
  /** /healthz, /readyz, /metrics. */
  readonly opsListen: { readonly host: string; readonly port: number }
  /** Where token records are kept. @default hostplane-panel-tokens */
  readonly tokenNamespace?: string
  /** The audit log's namespace (default hostplane-panel-audit) and bound (docs/panel.md). */
  readonly audit?: Pick<AuditLogOptions, 'namespace' | 'maxSegments' | 'segmentBytes'>
  readonly failedSignIns?: FailureLimits
  readonly trustProxy?: string | readonly string[]
  /** OpenID Connect sign-in (docs/panel-sign-in.md); without it the panel takes API tokens only. */
  readonly signIn?: SignInOptions
  /** Backup downloads at once per customer, and their deadline. */
  readonly downloads?: PanelAppOptions['downloads']
  /** The web UI, mounted with `signIn`. @default the customer and admin pages of src/panel/ui */
  readonly pages?: PanelAppOptions['pages']
}

export interface PanelProcess {
  /** Base URL of the API listener. */
  readonly url: string
  readonly opsUrl: string
  readonly panel: PanelService
  stop(): Promise<void>
}

const urlOf = (address: string | { address: string; port: number } | null) => {
  if (!address || typeof address === 'string') throw new Error('the panel is not listening on TCP')
  const host = address.address.includes(':') ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

export async function startPanel(config: PanelConfig): Promise<PanelProcess> {
  const { log } = config
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = new Counter({
    name: 'hostplane_panel_requests_total',
    help: 'Panel API answers by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  })
  const failedSignIns = new Counter({
    name: 'hostplane_panel_failed_sign_ins_total',
    help: 'Requests refused for a missing, unknown or revoked API token',
    registers: [registry],
  })
  const auditFailures = new Counter({
    name: 'hostplane_panel_audit_failures_total',
    help: 'Audit log writes that failed, by stage: a change refused (attempt), an outcome or sign-out lost (outcome, note), old segments kept (prune)',
    labelNames: ['stage'] as const,
    registers: [registry],
  })
  const clients = new PanelClients(config.kubeConfig)
  const tokens = new TokenStore(clients.tokenKeeper, config.tokenNamespace ?? DEFAULT_TOKEN_NAMESPACE)
  const audit = new AuditLog(clients.auditWriter, {
    ...config.audit,
    log,
    onFailure: (stage) => auditFailures.inc({ stage }),
  })
  await Promise.all([tokens.check(), audit.check()]).catch((error: unknown) => {
    clients.close()
    throw error
  })
  const panel = new PanelService({ clients, tokens, audit, auditNamespace: audit.namespace })
  const auth = new BearerAuth(tokens, new FailureLimiter(config.failedSignIns), () => failedSignIns.inc())
  const app = await panelApp({
    panel,
    auth,
    log,
    requests,
    trustProxy: config.trustProxy,
    signIn: config.signIn,
    downloads: config.downloads,
    pages: config.pages ?? panelPages,
  })
  const ops = controlServer(log)
  await ops.register(opsRoutes, { registry, ready: () => app.server.listening })
  try {
    await app.listen(config.listen)
    await ops.listen(config.opsListen)
  } catch (error) {
    await Promise.allSettled([app.close(), ops.close()])
    clients.close()
    throw error
  }
  log.info({ url: urlOf(app.server.address()) }, 'panel listening')
  return {
    url: urlOf(app.server.address()),
    opsUrl: urlOf(ops.server.address()),
    panel,
    async stop() {
      await Promise.allSettled([app.close(), ops.close()])
      await audit.settled()
      clients.close()
    },
  }
}
