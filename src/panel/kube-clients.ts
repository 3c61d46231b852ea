/**
 * The panel's Kubernetes clients: one KubeRest per impersonated identity over the panel's own
 * credentials (its ServiceAccount, which may impersonate and nothing else). Clients of recently
 * served identities are kept, each with its connection pool; one evicted from the bounded cache is
 * closed once requests it may still carry are done.
 */
import type { KubeCredentials } from '../kube/kubeconfig.js'
import { KubeRest } from '../kube/rest.js'
import {
  actingAdminImpersonation,
  adminImpersonation,
  customerImpersonation,
  type Impersonation,
  impersonationHeaders,
  AUDIT_WRITER,
  TOKEN_KEEPER,
} from './impersonation.js'

export interface PanelClientsOptions {
  /** Identities (customers, admins) whose clients stay open. @default 256 */
  readonly maxClients?: number
  /** Per Kubernetes request. @default 15000 */
  readonly timeoutMs?: number
}

const USER_AGENT = 'hostplane-panel'

export class PanelClients {
  private readonly customers = new Map<string, KubeRest>()
  readonly tokenKeeper: KubeRest
  readonly auditWriter: KubeRest

  constructor(
    private readonly kubeConfig: KubeCredentials,
    private readonly options: PanelClientsOptions = {},
  ) {
    this.tokenKeeper = this.client(TOKEN_KEEPER)
    this.auditWriter = this.client(AUDIT_WRITER)
  }

  private client(impersonation: Impersonation): KubeRest {
    return new KubeRest(this.kubeConfig, {
      userAgent: USER_AGENT,
      timeoutMs: this.options.timeoutMs ?? 15_000,
      headers: impersonationHeaders(impersonation),
    })
  }

  /** The client acting as `customer`; for an admin acting as it, naming the admin too. */
  forCustomer(customer: string, actingAdmin?: string): KubeRest {
    return actingAdmin === undefined
      ? this.cached(`customer ${customer}`, () => customerImpersonation(customer))
      : this.cached(`acting ${customer} ${actingAdmin}`, () =>
          actingAdminImpersonation(customer, actingAdmin),
        )
  }

  /** The client of a provider admin (its OpenID Connect subject). */
  forAdmin(subject: string): KubeRest {
    return this.cached(`admin ${subject}`, () => adminImpersonation(subject))
  }

  private cached(key: string, impersonation: () => Impersonation): KubeRest {
    const cached = this.customers.get(key)
    if (cached) {
      // Map order is insertion order: re-inserting keeps the most recently used last.
      this.customers.delete(key)
      this.customers.set(key, cached)
      return cached
    }
    const client = this.client(impersonation())
    this.customers.set(key, client)
    const { maxClients = 256, timeoutMs = 15_000 } = this.options
    if (this.customers.size > maxClients) {
      const [oldest, evicted] = this.customers.entries().next().value as [string, KubeRest]
      this.customers.delete(oldest)
      setTimeout(() => evicted.close(), timeoutMs * 2).unref()
    }
    return client
  }

  close(): void {
    for (const client of this.customers.values()) client.close()
    this.customers.clear()
    this.tokenKeeper.close()
    this.auditWriter.close()
  }
}
