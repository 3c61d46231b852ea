/**
 * The DatabaseServer controller: tells the provider whether the operator can use each server
 * (Ready, with what failed), what the server says it is, and how many Databases are on it. It
 * shares the Database controller's connection pools, checks each server every `recheckMs`, and
 * writes only when something changed.
 */
import type { Registry } from 'prom-client'
import type { Database, DatabaseServer } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { containsDesired } from '../../kube/apply.js'
import { conditionsUpToDate, type DesiredCondition, storedConditions } from '../../kube/conditions.js'
import { type Controller, ControllerBuilder } from '../../kube/controller-builder.js'
import { type EventRecorder, recordConditionChanges } from '../../kube/events.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { CONDITION, SERVER_REASON as REASON } from './conditions.js'
import { DATABASE_SERVERS, DATABASES } from './owned.js'
import { type ServerEngines, unavailableMessage } from './server-engines.js'

const COUNT_DELAY_MS = 2000

export interface DatabaseServerControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly engines: Pick<ServerEngines, 'engineOf' | 'forget'>
  readonly log: Logger
  readonly registry: Registry
  /** @default 10 minutes */
  readonly resyncMs?: number
  /** Only DatabaseServers matching this label selector (tests: one operator per run on a shared cluster). */
  readonly serverSelector?: string
  /** How often each server is checked. @default 5 minutes */
  readonly recheckMs?: number
  readonly clock?: () => Date
}

export function databaseServerController(options: DatabaseServerControllerOptions): Controller {
  const { rest, log, resyncMs = 10 * 60_000, recheckMs = 5 * 60_000, engines, applier } = options
  const builder = new ControllerBuilder({
    name: 'databaseserver',
    keyField: 'server',
    rest,
    log,
    registry: options.registry,
    concurrency: 2,
    resyncMs,
  })
  const servers = builder.reconciles<DatabaseServer>(DATABASE_SERVERS, {
    labelSelector: options.serverSelector,
  })
  // A Database placed or gone changes its server's count: counted a moment later, so 500 new
  // Databases make a few status writes, not 500.
  const databases = builder.watches<Database>(DATABASES, {}, (event) => {
    for (const name of new Set([event.previous?.status?.server, event.object.status?.server]))
      if (name) builder.enqueueAfter(name, COUNT_DELAY_MS)
  })
  const reconcile = async (name: string) => {
    const server = servers.get(name)
    if (!server) return 'none'
    let conditions: DesiredCondition[]
    let version: string | undefined
    try {
      version = await (await engines.engineOf(server)).version()
      conditions = [
        {
          type: CONDITION.Ready,
          status: 'True',
          reason: REASON.ServerReady,
          message: `connected to ${server.spec.host}`,
        },
      ]
    } catch (error) {
      await engines.forget(name)
      conditions = [
        {
          type: CONDITION.Ready,
          status: 'False',
          reason: REASON.ServerUnavailable,
          message: unavailableMessage(server, error),
        },
      ]
    }
    const generation = server.metadata.generation
    const current = server.status
    const status = {
      observedGeneration: generation,
      databases: databases.list().filter((d) => d.status?.server === name).length,
      ...(version === undefined ? {} : { version }),
    }
    if (conditionsUpToDate(conditions, current?.conditions, generation) && containsDesired(current, status))
      return { step: 'none', requeueAfterMs: recheckMs }
    await applier.applyStatus(
      { ...DATABASE_SERVERS, name },
      {
        apiVersion: DATABASE_SERVERS.apiVersion,
        kind: DATABASE_SERVERS.kind,
        metadata: { name },
        status: {
          ...(current?.version !== undefined && version === undefined ? { version: current.version } : {}),
          ...status,
          conditions: storedConditions(
            conditions,
            current?.conditions,
            generation,
            (options.clock ?? (() => new Date()))(),
          ),
        },
      },
    )
    await recordConditionChanges(options.events, server, current?.conditions, conditions, [CONDITION.Ready])
    return { step: 'status', requeueAfterMs: recheckMs }
  }
  return builder.build({ reconcile })
}
