/**
 * Automatic TLS for `hostplane serve`, wired from its parts: the challenge responder and the
 * HTTP → HTTPS redirect in front of the site rules, the SNI callback of the HTTPS listener, and the
 * certificate manager fed with the domains of the configured sites.
 *
 * Before a domain has a certificate, an HTTPS handshake naming it fails (no certificate is
 * presented, there is nothing to fall back to) and HTTP serves it as usual. Once it has a valid
 * one, HTTP answers 301 to the same URL on HTTPS, except for ACME challenges. Names that are not
 * configured fail the handshake, always.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SecureContext } from 'node:tls'
import type { Registry } from 'prom-client'
import type { Logger } from '../../ops/log.js'
import { SECURITY_HEADERS } from '../../serve/security-headers.js'
import { normaliseHost } from '../../serve/served-site.js'
import { AcmeIssuer, type AcmeIssuerOptions } from './acme-issuer.js'
import { AcmeMetrics } from './acme-metrics.js'
import { certificateDomains, type TlsSite } from './certificate-domains.js'
import { CertificateManager, type DomainStatus } from './certificate-manager.js'
import { CertificateStore } from './certificate-store.js'
import { ChallengeResponder } from './challenge-responder.js'
import { httpsLocation } from './https-redirect.js'
import { IssuanceBudget } from './issuance-budget.js'
import type { Backoff } from './order-schedule.js'

export interface AcmeConfig extends AcmeIssuerOptions {
  /** New orders allowed in each budget window. @default 20 */
  readonly budgetOrders?: number
  /** @default 1 hour */
  readonly budgetWindowMs?: number
  /** Backoff per domain after failed orders. @default 5 min doubling up to 12 h */
  readonly backoff?: Backoff
}

export interface AutomaticTlsContext {
  readonly dataDir: string
  readonly log: Logger
  readonly registry: Registry
}

export class AutomaticTls {
  private httpsPort = 443
  private skipped = ''

  private constructor(
    private readonly manager: CertificateManager,
    private readonly responder: ChallengeResponder,
    private readonly log: Logger,
  ) {}

  static async start(
    config: AcmeConfig,
    { dataDir, log, registry }: AutomaticTlsContext,
  ): Promise<AutomaticTls> {
    const store = new CertificateStore(dataDir, config.directoryUrl)
    const responder = new ChallengeResponder()
    const issuer = await AcmeIssuer.create(config, store, responder)
    const budget = new IssuanceBudget(
      config.budgetOrders ?? 20,
      config.budgetWindowMs ?? 3_600_000,
      await store.orderTimes(),
    )
    const manager = new CertificateManager({
      issuer,
      store,
      budget,
      metrics: new AcmeMetrics(registry),
      log,
      backoff: config.backoff,
    })
    log.info({ directory: config.directoryUrl, store: store.dir }, 'automatic TLS with ACME HTTP-01 is on')
    return new AutomaticTls(manager, responder, log)
  }

  /**
   * Starts ordering certificates, once both listeners are up; `httpsPort` is the port HTTP
   * redirects name when the visitor named a port (see https-redirect.ts).
   */
  start(httpsPort: number): void {
    this.httpsPort = httpsPort
    this.manager.start()
  }

  /** Certificates for the domains of these routed sites, and no others. */
  update(sites: readonly TlsSite[]): void {
    const { domains, skipped } = certificateDomains(sites)
    const report = skipped.map(({ site, domain, reason }) => `${site}: ${domain}: ${reason}`).join('\n')
    if (report && report !== this.skipped) for (const line of report.split('\n')) this.log.warn(line)
    this.skipped = report
    this.manager.update(domains)
  }

  /** In front of the site rules: ACME challenges, then the redirect of HTTP to HTTPS. */
  intercept(request: IncomingMessage, response: ServerResponse): boolean {
    if (this.responder.answer(request, response)) return true
    if ('encrypted' in request.socket) return false
    const host = request.headers.host
    if (!host || !this.manager.hasValidCertificate(normaliseHost(host))) return false
    const location = httpsLocation(host, request.url ?? '/', this.httpsPort)
    if (!location) return false
    response.writeHead(301, [...SECURITY_HEADERS.flat(), 'Location', location, 'Content-Length', '0']).end()
    return true
  }

  /** The SNI callback of the HTTPS listener: a configured domain's certificate, else a failed handshake. */
  readonly sni = (servername: string, done: (error: Error | null, context?: SecureContext) => void): void => {
    const context = this.manager.secureContext(servername)
    if (context) done(null, context)
    else done(new Error(`no certificate for ${JSON.stringify(servername)}`))
  }

  status(): DomainStatus[] {
    return this.manager.status()
  }

  stop(): Promise<void> {
    return this.manager.stop()
  }
}
