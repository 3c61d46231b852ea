/**
 * Who calls the panel, bound once at the point of proof (a valid API token now, an OpenID
 * Connect sign-in later) and passed on as a value: nothing a request carries afterwards changes
 * it. `actingAs` is the customer every Kubernetes request is made as; it differs from the actor's
 * own customer only when a provider admin acts as a customer, which the audit log records.
 */
export interface Actor {
  /** Stable id for logs and the audit log: `token:<id>`, later `oidc:<subject>`. */
  readonly id: string
  readonly method: 'token'
  /** The customer the actor belongs to. */
  readonly customer: string
}

export interface Identity {
  readonly actor: Actor
  readonly actingAs: string
}

/** A customer's own actor acting as its own customer. */
export const ownIdentity = (actor: Actor): Identity => ({ actor, actingAs: actor.customer })
