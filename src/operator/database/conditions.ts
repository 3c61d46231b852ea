/**
 * The condition types the Database reconciler writes, its finalizer, and its view of the
 * operator's reason registry (../reasons.ts); docs/databases.md explains each one.
 */
import { reasonsOf } from '../reasons.js'

export const CONDITION = {
  /** The database and its user exist on a server the customer's tier may use, the Secret holds how to connect. */
  Ready: 'Ready',
  /** The database's size against its server's maxDatabaseSize. */
  WithinQuota: 'WithinQuota',
} as const

/** Held until the database is retired or dropped on its server (deletionPolicy). */
export const FINALIZER = 'hostplane.dev/database'

export const REASON = reasonsOf('Database')
export const SERVER_REASON = reasonsOf('DatabaseServer')
