/**
 * One Customer's pull Secret, made true:
 *   gone, being deleted, or no namespace yet (status.namespace unset) → nothing
 *   otherwise → read the Secret (one GET in the customer namespace: the operator keeps no
 *     informer on tenants' Secrets), keep the ticket it holds while more than half of its life
 *     is left, else sign a new one, and apply the rendered Secret unless the stored one already
 *     is it. A Secret a tenant deleted or edited is thereby restored with the next pass.
 * Every pass comes back after the recheck interval, or sooner when the ticket is due.
 */
import type { Customer } from '../../api/resources.js'
import type { PullTicketSigner } from '../../build/registry/pull-ticket.js'
import type { Applier } from '../../kube/apply.js'
import type { ReconcileResult } from '../../kube/controller-builder.js'
import { isNotFound, type KubeRest, resourcePath } from '../../kube/rest.js'
import {
  type PullSecretObject,
  REGISTRY_PULL_SECRET,
  renderPullSecret,
  renewalTime,
  ticketInSecret,
} from './pull-secret.js'

/** How often a customer's pull Secret is read again by default (tenants may delete it; no event tells). */
export const PULL_SECRET_RECHECK_MS = 5 * 60_000

export type PullSecretReader = (namespace: string) => Promise<PullSecretObject | undefined>

const SECRETS = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' } as const

export const pullSecretReader =
  (rest: Pick<KubeRest, 'request'>): PullSecretReader =>
  (namespace) =>
    rest
      .request<PullSecretObject>('GET', resourcePath({ ...SECRETS, namespace, name: REGISTRY_PULL_SECRET }))
      .catch((error: unknown) => {
        if (isNotFound(error)) return undefined
        throw error
      })

export interface PullSecretReconcilerOptions {
  readonly customer: (name: string) => Customer | undefined
  readonly read: PullSecretReader
  readonly applier: Pick<Applier, 'apply'>
  /** host[:port] of the tenants' registry: the Secret's one `auths` entry. */
  readonly registry: string
  readonly signer: PullTicketSigner
  /** @default PULL_SECRET_RECHECK_MS */
  readonly recheckMs?: number
  /** Milliseconds since the epoch; the signer's clock. */
  readonly clock?: () => number
}

export class PullSecretReconciler {
  constructor(private readonly options: PullSecretReconcilerOptions) {}

  async reconcile(name: string): Promise<ReconcileResult> {
    const { registry, signer, recheckMs = PULL_SECRET_RECHECK_MS, clock = Date.now } = this.options
    const customer = this.options.customer(name)
    const namespace = customer?.status?.namespace
    if (!customer || customer.metadata.deletionTimestamp || !namespace) return 'none'
    const live = await this.options.read(namespace)
    const held = ticketInSecret(live, registry, name, signer)
    const now = clock()
    const ticket = held && renewalTime(held, signer.ttlSeconds) > now ? held : signer.ticket(name)
    const wrote = await this.options.applier.apply(
      { ...SECRETS, namespace, name: REGISTRY_PULL_SECRET },
      renderPullSecret(customer, namespace, registry, ticket),
      live,
    )
    const step = !wrote ? 'none' : !live ? 'created' : ticket === held ? 'restored' : 'renewed'
    return {
      step,
      requeueAfterMs: Math.max(1000, Math.min(recheckMs, renewalTime(ticket, signer.ttlSeconds) - now)),
    }
  }
}
