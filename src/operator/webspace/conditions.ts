/**
 * Every condition type and reason the Webspace reconciler writes, in one place; docs/tenancy.md
 * explains each one.
 */
export const CONDITION = {
  /** Its objects are applied (or why they cannot be). */
  Deployed: 'Deployed',
  /** Mirrors the Deployment's Available condition. */
  Available: 'Available',
  /** Mirrors the Deployment's Progressing condition. */
  Progressing: 'Progressing',
  Ready: 'Ready',
} as const

export const REASON = {
  // Deployed
  ObjectsApplied: 'ObjectsApplied',
  NoCustomer: 'NoCustomer',
  RuntimeNotFound: 'RuntimeNotFound',
  SizeNotOffered: 'SizeNotOffered',
  QuotaExceeded: 'QuotaExceeded',
  CustomerSuspended: 'CustomerSuspended',
  // Available / Progressing when the Deployment has not reported yet
  DeploymentPending: 'DeploymentPending',
  // Ready (False carries the reason of the failing condition)
  Ready: 'Ready',
} as const
