/**
 * The pull Secret of a customer namespace: `hostplane-registry-pull`, a
 * `kubernetes.io/dockerconfigjson` Secret whose one entry `auths[<registry host>]` holds the
 * customer's pull ticket (src/build/registry/pull-ticket.ts), so the kubelet can pull the images
 * of `hostplane/<customer>` for the Webspaces that name it in `imagePullSecrets`. Pure.
 *
 * The ticket's expiry is recorded in an annotation; a Secret still holding a valid ticket of
 * this customer for this registry is rendered with that same ticket, so an unchanged Secret
 * renders as it is stored (no write) until half the ticket's life is left.
 */
import type { Customer } from '../../api/resources.js'
import type { PullTicket, PullTicketVerifier } from '../../build/registry/pull-ticket.js'
import { controllerReference, type KubeObject, type Manifest } from '../../kube/object.js'
import { CUSTOMER_LABEL, MANAGED_BY } from '../customer/names.js'

export const REGISTRY_PULL_SECRET = 'hostplane-registry-pull'
export const PULL_SECRET_TYPE = 'kubernetes.io/dockerconfigjson'
export const PULL_TICKET_EXPIRES_ANNOTATION = 'hostplane.dev/pull-ticket-expires'
const KEY = '.dockerconfigjson'

export interface PullSecretObject extends KubeObject {
  readonly type?: string
  /** Base64, as the API server returns it. */
  readonly data?: Readonly<Record<string, string>>
}

/** The docker config of one registry entry, as the kubelet reads it. */
const dockerConfig = (registry: string, { username, password }: PullTicket) =>
  JSON.stringify({
    auths: {
      [registry]: { username, password, auth: Buffer.from(`${username}:${password}`).toString('base64') },
    },
  })

export function renderPullSecret(
  customer: Customer,
  namespace: string,
  registry: string,
  ticket: PullTicket,
): Manifest & Required<Pick<PullSecretObject, 'type' | 'data'>> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: REGISTRY_PULL_SECRET,
      namespace,
      labels: { ...MANAGED_BY, [CUSTOMER_LABEL]: customer.metadata.name },
      annotations: { [PULL_TICKET_EXPIRES_ANNOTATION]: ticket.expiresAt.toISOString() },
      ownerReferences: [controllerReference(customer)],
    },
    type: PULL_SECRET_TYPE,
    data: { [KEY]: Buffer.from(dockerConfig(registry, ticket)).toString('base64') },
  }
}

/** The valid ticket of `customer` for `registry` that `live` holds, if any (whatever else was edited). */
export function ticketInSecret(
  live: PullSecretObject | undefined,
  registry: string,
  customer: string,
  verifier: Pick<PullTicketVerifier, 'ticketOf'>,
): PullTicket | undefined {
  const data = live?.data?.[KEY]
  if (!data) return undefined
  try {
    const config = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as {
      auths?: Record<string, { password?: unknown }>
    }
    const password = config.auths?.[registry]?.password
    return typeof password === 'string' ? verifier.ticketOf(customer, password) : undefined
  } catch {
    return undefined
  }
}

/** When a ticket is renewed: once less than half of its life is left. */
export const renewalTime = (ticket: PullTicket, ttlSeconds: number): number =>
  ticket.expiresAt.getTime() - (ttlSeconds * 1000) / 2
