/**
 * Every condition type and reason the StaticSite operator writes, in one place. The same reason
 * goes to the condition and to the Event, and docs/operator.md explains each one.
 */
import { DOMAIN_REASON } from '../../domains/reasons.js'

export const CONDITION = {
  /** Owned by the syncer; the operator reads it for Ready. */
  Synced: 'Synced',
  Routed: 'Routed',
  CertificateReady: 'CertificateReady',
  DomainClaimed: 'DomainClaimed',
  Ready: 'Ready',
} as const

export const REASON = {
  // Routed and DomainClaimed: the domain decision of every mode (src/domains)
  ...DOMAIN_REASON,
  // Routed
  RouteApplied: 'RouteApplied',
  DomainNotClaimed: 'DomainNotClaimed',
  /** The namespace's Customer is suspended (the same reason as on the Customer and its webspaces). */
  CustomerSuspended: 'CustomerSuspended',
  // DomainClaimed
  DomainClaimed: 'DomainClaimed',
  // CertificateReady
  CertificateIssued: 'CertificateIssued',
  CertificatePending: 'CertificatePending',
  WildcardCertificate: 'WildcardCertificate',
  ExistingSecret: 'ExistingSecret',
  TlsDisabled: 'TlsDisabled',
  NoRoute: 'NoRoute',
  // Ready (when False and an own condition fails, Ready carries that condition's reason)
  Ready: 'Ready',
  NotSynced: 'NotSynced',
  WaitingForSync: 'WaitingForSync',
} as const

/** Finalizer that holds a deleted StaticSite until its objects in the system namespace are gone. */
export const FINALIZER = 'hostplane.dev/generated-objects'
