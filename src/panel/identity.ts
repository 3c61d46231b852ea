/**
 * Who calls the panel, bound once at the point of proof (a valid API token, or an OpenID Connect
 * session) and passed on as a value: nothing a request carries afterwards changes it. `actingAs`
 * is the customer every Kubernetes request is made as; it differs from the actor's own customer
 * only when a provider admin acts as a customer (chosen in the server-side session), which the
 * audit log records.
 */
import type { SignInIdentity } from './auth/identity.js'

export interface Actor {
  /** Stable id for logs and the audit log: `token:<id>`, `oidc:<subject>` or `kubernetes:<user>`. */
  readonly id: string
  /** `kubernetes`: a provider admin with a kubeconfig, running `hostplane panel-token`. */
  readonly method: 'token' | 'oidc' | 'kubernetes'
  /** The token's id, the provider's subject or the Kubernetes user: `id` is `<method>:<subject>`. */
  readonly subject: string
  /** The customer the actor belongs to; absent for a provider admin of no customer. */
  readonly customer?: string
  /** A provider admin (the OpenID Connect admin group, or a kubeconfig's user); an API token never is one. */
  readonly admin: boolean
  readonly email?: string
}

export interface Identity {
  readonly actor: Actor
  /** The customer requests act as; undefined for an admin who is not acting as a customer. */
  readonly actingAs?: string
}

/** An API token's identity: its customer, acting as itself. */
export const tokenIdentity = (id: string, customer: string): Identity => ({
  actor: { id: `token:${id}`, method: 'token', subject: id, customer, admin: false },
  actingAs: customer,
})

/**
 * A kubeconfig's user managing a customer's tokens with `hostplane panel-token`, by the name the
 * API server gives it (a SelfSubjectReview): the same name as in the API server's audit log.
 */
export const kubernetesIdentity = (username: string, customer: string): Identity => ({
  actor: { id: `kubernetes:${username}`, method: 'kubernetes', subject: username, admin: true },
  actingAs: customer,
})

/**
 * A signed-in session's identity: the account's own customer, or the one an admin of the session
 * chose to act as.
 */
export function sessionIdentity(signedIn: SignInIdentity, actingAs?: string): Identity {
  const { subject, email, customer, admin } = signedIn
  const actor: Actor = {
    id: `oidc:${subject}`,
    method: 'oidc',
    subject,
    admin,
    ...(customer !== undefined ? { customer } : {}),
    ...(email !== undefined ? { email } : {}),
  }
  const acting = (admin ? actingAs : undefined) ?? customer
  return acting === undefined ? { actor } : { actor, actingAs: acting }
}

/** The admin's subject when the identity is an admin acting as a customer not its own. */
export const actingAdmin = ({ actor, actingAs }: Identity): string | undefined =>
  actor.admin && actingAs !== undefined && actingAs !== actor.customer ? actor.subject : undefined
