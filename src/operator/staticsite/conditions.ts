/**
 * The condition types the StaticSite operator writes, and its view of the operator's reason
 * registry (../reasons.ts). The same reason goes to the condition and to the Event, and
 * docs/operator.md explains each one.
 */
import { reasonsOf } from '../reasons.js'

export const CONDITION = {
  /** Owned by the syncer; the operator reads it for Ready. */
  Synced: 'Synced',
  Routed: 'Routed',
  CertificateReady: 'CertificateReady',
  DomainClaimed: 'DomainClaimed',
  Ready: 'Ready',
} as const

export const REASON = reasonsOf('StaticSite')

/** Finalizer that holds a deleted StaticSite until its objects in the system namespace are gone. */
export const FINALIZER = 'hostplane.dev/generated-objects'
