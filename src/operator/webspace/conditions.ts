/**
 * The condition types the Webspace reconciler writes, and its view of the operator's reason
 * registry (../reasons.ts); docs/tenancy.md explains each one.
 */
import { reasonsOf } from '../reasons.js'

export const CONDITION = {
  /** Its objects are applied (or why they cannot be). */
  Deployed: 'Deployed',
  /** It holds its domains (claims are shared with StaticSites: one owner per domain). */
  DomainClaimed: 'DomainClaimed',
  /** Why it has no Certificate (the issuer, the customer's order rate) or, with `tls.mode: secret`, whether the named Secret of its namespace is a valid certificate. */
  CertificateReady: 'CertificateReady',
  /** Mirrors the Deployment's Available condition. */
  Available: 'Available',
  /** Mirrors the Deployment's Progressing condition. */
  Progressing: 'Progressing',
  /** Which Release runs and how its rollout went: in progress, complete, rolled back by the health gate. */
  Released: 'Released',
  Ready: 'Ready',
} as const

export const REASON = reasonsOf('Webspace')
