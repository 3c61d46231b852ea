/**
 * The Database controller: informers on Databases (all namespaces), DatabaseServers, Customers
 * (the namespace's tier) and the NetworkPolicies Databases own (by label); a work queue running the
 * reconciler, with one connection pool per server (ServerEngines, shared with the DatabaseServer controller). A changed DatabaseServer requeues the
 * Databases on it (and, while some wait for a server, those too); a changed Customer requeues
 * the Databases of its namespace; a ready Database comes back every `recheckMs` to be measured.
 */
import type { Registry } from 'prom-client'
import type { Database, DatabaseServer } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { type Controller, ControllerBuilder } from '../../kube/controller-builder.js'
import type { EventRecorder } from '../../kube/events.js'
import { objectKey } from '../../kube/object.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { CustomerNamespaces } from '../customer/by-namespace.js'
import { tlsSecretReader } from '../staticsite/tls-secret-reader.js'
import { DATABASE_LABEL, DATABASE_SERVERS, DATABASES, databaseOf, NETWORK_POLICIES } from './owned.js'
import { DatabaseReconciler } from './reconcile.js'
import type { ServerEngines } from './server-engines.js'

export interface DatabaseControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  /** The connection pools, shared with the DatabaseServer controller. */
  readonly engines: Pick<ServerEngines, 'engineOf' | 'forget'>
  readonly log: Logger
  readonly registry: Registry
  /** @default 10 */
  readonly concurrency?: number
  /** @default 10 minutes */
  readonly resyncMs?: number
  /** How often a ready Database is measured again. @default 5 minutes */
  readonly recheckMs?: number
  /** Only Customers matching this label selector, and so only their Databases (tests). */
  readonly customerSelector?: string
  /** Only DatabaseServers matching this label selector (tests). */
  readonly serverSelector?: string
}

export function databaseController(options: DatabaseControllerOptions): Controller {
  const { rest, log, concurrency = 10, resyncMs = 10 * 60_000, customerSelector } = options
  const builder = new ControllerBuilder({
    name: 'database',
    keyField: 'database',
    rest,
    log,
    registry: options.registry,
    concurrency,
    resyncMs,
  })
  const customers = builder.cache(new CustomerNamespaces({ rest, labelSelector: customerSelector, log }))
  const databases = builder.reconciles<Database>(DATABASES)
  const requeue = (matches: (database: Database) => boolean) => {
    for (const database of databases.list()) if (matches(database)) builder.enqueue(objectKey(database))
  }
  customers.onChange((namespace) => requeue((d) => d.metadata.namespace === namespace))
  const servers = builder.watches<DatabaseServer>(
    DATABASE_SERVERS,
    { labelSelector: options.serverSelector },
    (event) => {
      const name = event.object.metadata.name
      requeue((d) => d.status?.server === name || d.status?.server === undefined)
    },
  )
  const policies = builder.owns([NETWORK_POLICIES], { labelSelector: DATABASE_LABEL, ownerOf: databaseOf })
  const reconciler = new DatabaseReconciler({
    cache: {
      database: (key) => databases.get(key),
      servers: () => servers.list(),
      customerOf: (namespace) => customers.of(namespace),
      placedOn: (server) => databases.list().filter((d) => d.status?.server === server).length,
      policy: (key) => policies.get(key)[0],
    },
    applier: options.applier,
    events: options.events,
    engines: options.engines,
    readSecret: tlsSecretReader(rest),
    recheckMs: options.recheckMs,
  })
  return builder.build({
    reconcile: async (key) => {
      const database = databases.get(key)
      if (customerSelector && database && !customers.of(database.metadata.namespace ?? '')) return 'none'
      return reconciler.reconcile(key)
    },
  })
}
