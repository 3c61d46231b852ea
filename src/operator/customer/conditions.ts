/**
 * The condition types the Customer reconciler writes, and its view of the operator's reason
 * registry (../reasons.ts). The same reason goes to the condition and to the Event;
 * docs/tenancy.md explains each one.
 */
import { reasonsOf } from '../reasons.js'

export const CONDITION = {
  /** The namespace and everything in it are applied as rendered. */
  Provisioned: 'Provisioned',
  Suspended: 'Suspended',
  /** No domain overlaps another Customer's, or an admin allowed each overlap. */
  DomainsExclusive: 'DomainsExclusive',
  Ready: 'Ready',
} as const

export const REASON = reasonsOf('Customer')

/** Holds a deleted Customer until its namespace (and so every site's routes) is gone. */
export const FINALIZER = 'hostplane.dev/tenant'
