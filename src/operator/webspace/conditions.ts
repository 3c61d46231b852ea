/**
 * Every condition type and reason the Webspace reconciler writes, in one place; docs/tenancy.md
 * explains each one.
 */
import { DOMAIN_REASON } from '../../domains/reasons.js'

export const CONDITION = {
  /** Its objects are applied (or why they cannot be). */
  Deployed: 'Deployed',
  /** It holds its domains (claims are shared with StaticSites: one owner per domain). */
  DomainClaimed: 'DomainClaimed',
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
  // DomainClaimed (the same reasons as a StaticSite's, and as hostplane serve's)
  DomainClaimed: 'DomainClaimed',
  ...DOMAIN_REASON,
  // Event only: an apply failed for a reason a retry may fix (the error is retried with backoff)
  ApplyFailed: 'ApplyFailed',
  // Available / Progressing when the Deployment has not reported yet
  DeploymentPending: 'DeploymentPending',
  // Ready (False carries the reason of the failing condition)
  Ready: 'Ready',
} as const
