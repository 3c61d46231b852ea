/**
 * One Database, made true on its server and in its namespace. Reads the caches, the Database's
 * own Secret (one GET: the operator keeps no informer on tenants' Secrets) and the server; each
 * pass ends in at most one kind of API write, and nothing is written when all is as desired:
 *   being deleted → retire the user (Retain) or drop database and user (Delete), then drop the finalizer
 *   no finalizer yet → add it
 *   no server for it (no Customer, none allowed, none by default, full) → status only
 *   otherwise → make database and user true on the server (password from its Secret, or a new
 *     one), apply the Secret and NetworkPolicy if they changed, measure the size, write the
 *     status if it changed; measured again every `recheckMs`.
 * A server the operator cannot reach makes Ready False (ServerUnavailable) and is tried again
 * after `retryMs`; its message never carries a password.
 */
import type { Customer, Database, DatabaseServer } from '../../api/resources.js'
import type { DatabaseEngine } from '../../database/engine.js'
import { FINAL_BACKUP } from '../backup/owned.js'
import { databaseIdentifier } from '../../database/identifiers.js'
import { generatePassword, PASSWORD } from '../../database/password.js'
import { type Applier, containsDesired } from '../../kube/apply.js'
import { conditionsUpToDate, type DesiredCondition, storedConditions } from '../../kube/conditions.js'
import type { ReconcileResult } from '../../kube/controller-builder.js'
import { type EventRecorder, recordConditionChanges } from '../../kube/events.js'
import { objectRef } from '../../kube/manifest-path.js'
import type { KubeObject } from '../../kube/object.js'
import type { TlsSecretReader } from '../staticsite/tls-secret-reader.js'
import { CONDITION, FINALIZER, REASON } from './conditions.js'
import { DATABASE_SECRET_TYPE, DATABASES, ownedName } from './owned.js'
import {
  connectionLimit,
  limitBytes,
  placeDatabase,
  problemConditions,
  readyConditions,
  renderDatabaseNetworkPolicy,
  renderDatabaseSecret,
} from './plan.js'
import { ServerUnavailableError, unavailableMessage } from './server-engines.js'

export interface DatabaseCache {
  database(key: string): Database | undefined
  servers(): readonly DatabaseServer[]
  customerOf(namespace: string): Customer | undefined
  /** Databases whose status names this server. */
  placedOn(server: string): number
  /** The cached NetworkPolicy the Database owns, if any. */
  policy(key: string): KubeObject | undefined
}

export interface DatabaseReconcilerOptions {
  readonly cache: DatabaseCache
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly engines: {
    engineOf(server: DatabaseServer): Promise<DatabaseEngine>
    forget(server: string): Promise<void>
  }
  /** GETs a Secret of a tenant namespace. */
  readonly readSecret: TlsSecretReader
  /** How often a ready Database is measured again. @default 5 minutes */
  readonly recheckMs?: number
  /** How soon an unreachable server is tried again. @default 1 minute */
  readonly retryMs?: number
  readonly clock?: () => Date
}

export type DatabaseStep = 'none' | 'status' | 'applied' | 'finalizer-added' | 'finalizer-removed'

const EVENT_CONDITIONS = [CONDITION.Ready, CONDITION.WithinQuota]

const databaseRef = (database: Database) => ({
  ...DATABASES,
  namespace: database.metadata.namespace,
  name: database.metadata.name,
})

export class DatabaseReconciler {
  constructor(private readonly options: DatabaseReconcilerOptions) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { cache, recheckMs = 5 * 60_000, retryMs = 60_000 } = this.options
    const database = cache.database(key)
    if (!database) return 'none'
    if (database.metadata.deletionTimestamp) return this.finish(database)
    if (!database.metadata.finalizers?.includes(FINALIZER)) {
      await this.setFinalizers(database, [...(database.metadata.finalizers ?? []), FINALIZER])
      return 'finalizer-added'
    }
    const namespace = database.metadata.namespace ?? ''
    const placement = placeDatabase(database, cache.servers(), cache.customerOf(namespace), (server) =>
      cache.placedOn(server),
    )
    if ('reason' in placement)
      return this.writeStatus(database, problemConditions(placement.reason, placement.message), {})
    const { server } = placement
    const identifier = databaseIdentifier(namespace, database.metadata.name)
    if (cache.customerOf(namespace)?.spec.suspended) return this.suspend(database, server, identifier)
    const secretName = ownedName(database.metadata.name)
    const read = await this.options.readSecret(namespace, secretName)
    if (read.kind === 'found' && read.secret.type !== DATABASE_SECRET_TYPE)
      return this.writeStatus(
        database,
        problemConditions(
          REASON.SecretConflict,
          `Secret ${secretName} exists and is not a Database's (type ${read.secret.type ?? 'Opaque'}): rename or delete it`,
        ),
        { server: server.metadata.name },
      )
    // Only its own Secret's password: one left by a deleted Database of the same name (not yet
    // collected) must not hand the old password on.
    const owned = read.kind === 'found' && ownedBy(read.secret as unknown as KubeObject, database)
    const stored = owned ? read.secret.data?.password : undefined
    const storedPassword = stored === undefined ? undefined : Buffer.from(stored, 'base64').toString('utf8')
    const password =
      storedPassword !== undefined && PASSWORD.test(storedPassword) ? storedPassword : generatePassword()
    let sizeBytes: number
    try {
      const engine = await this.options.engines.engineOf(server)
      await engine.ensure({ identifier, password, connectionLimit: connectionLimit(database, server) })
      sizeBytes = await engine.sizeBytes(identifier)
    } catch (error) {
      if (!(error instanceof ServerUnavailableError)) await this.options.engines.forget(server.metadata.name)
      const step = await this.writeStatus(
        database,
        problemConditions(REASON.ServerUnavailable, unavailableMessage(server, error)),
        { server: server.metadata.name },
      )
      return { step, requeueAfterMs: retryMs }
    }
    const secret = renderDatabaseSecret(database, server, { identifier, password })
    const policy = renderDatabaseNetworkPolicy(database, server)
    const live = read.kind === 'found' ? (read.secret as unknown as KubeObject) : undefined
    let wrote = await this.options.applier.apply(objectRef(secret), secret, live)
    if (policy && (await this.options.applier.apply(objectRef(policy), policy, cache.policy(key))))
      wrote = true
    const stale = policy ? undefined : cache.policy(key)
    if (stale) {
      await this.options.applier.delete(objectRef(stale))
      wrote = true
    }
    const limit = limitBytes(server)
    const step = await this.writeStatus(database, readyConditions(database, sizeBytes, limit), {
      server: server.metadata.name,
      database: identifier,
      user: identifier,
      secret: secretName,
      sizeBytes,
      limitBytes: limit,
    })
    return { step: wrote ? 'applied' : step, requeueAfterMs: recheckMs }
  }

  /**
   * A suspended customer's user is locked and its sessions end (the data stays); resuming makes
   * the next pass unlock it with the Secret's password.
   */
  private async suspend(
    database: Database,
    server: DatabaseServer,
    identifier: string,
  ): Promise<ReconcileResult> {
    const { recheckMs = 5 * 60_000, retryMs = 60_000 } = this.options
    const fields = { server: server.metadata.name }
    if (database.status?.database !== undefined)
      try {
        await (await this.options.engines.engineOf(server)).retire(identifier)
      } catch (error) {
        if (!(error instanceof ServerUnavailableError))
          await this.options.engines.forget(server.metadata.name)
        const message = `${unavailableMessage(server, error)}; the customer is suspended and its user could not be locked`
        const step = await this.writeStatus(
          database,
          problemConditions(REASON.ServerUnavailable, message),
          fields,
        )
        return { step, requeueAfterMs: retryMs }
      }
    const step = await this.writeStatus(
      database,
      problemConditions(
        REASON.CustomerSuspended,
        'the customer is suspended: its user is locked and the data kept until it is resumed',
      ),
      fields,
    )
    return { step, requeueAfterMs: recheckMs }
  }

  /** Retires or drops the database on its server, then lets the Database go. */
  private async finish(database: Database): Promise<ReconcileResult> {
    if (!database.metadata.finalizers?.includes(FINALIZER)) return 'none'
    // Its final backup (a BackupSchedule's) reads the database: it goes once that finished.
    if (database.metadata.finalizers.includes(FINAL_BACKUP)) return 'none'
    const serverName = database.status?.server
    const server = this.options.cache.servers().find((s) => s.metadata.name === serverName)
    const identifier = database.status?.database
    if (server && identifier) {
      const policy = database.spec.deletionPolicy
      try {
        const engine = await this.options.engines.engineOf(server)
        if (policy === 'Delete') await engine.drop(identifier)
        else await engine.retire(identifier)
      } catch (error) {
        if (!(error instanceof ServerUnavailableError))
          await this.options.engines.forget(server.metadata.name)
        await this.writeStatus(
          database,
          problemConditions(
            REASON.ServerUnavailable,
            `${unavailableMessage(server, error)}; the Database is deleted once it can`,
          ),
          { server: server.metadata.name },
        )
        return { step: 'status', requeueAfterMs: this.options.retryMs ?? 60_000 }
      }
      await this.options.events.record(database, {
        type: 'Normal',
        reason: policy === 'Delete' ? REASON.DatabaseDropped : REASON.DatabaseRetained,
        note:
          policy === 'Delete'
            ? `database ${identifier} and its user dropped on ${server.metadata.name}`
            : `database ${identifier} kept on ${server.metadata.name}, its user locked; a Database of the same name in this namespace takes it back`,
        action: 'Delete',
      })
    }
    await this.setFinalizers(
      database,
      (database.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
    )
    return 'finalizer-removed'
  }

  private async setFinalizers(database: Database, finalizers: string[]): Promise<void> {
    await this.options.applier.mergePatch(databaseRef(database), {
      metadata: { resourceVersion: database.metadata.resourceVersion, finalizers },
    })
  }

  private async writeStatus(
    database: Database,
    conditions: readonly DesiredCondition[],
    fields: Readonly<Record<string, string | number>>,
  ): Promise<DatabaseStep> {
    const { applier, clock = () => new Date() } = this.options
    const generation = database.metadata.generation
    const current = database.status
    const status = { observedGeneration: generation, ...fields }
    if (conditionsUpToDate(conditions, current?.conditions, generation) && containsDesired(current, status))
      return 'none'
    await applier.applyStatus(databaseRef(database), {
      apiVersion: DATABASES.apiVersion,
      kind: DATABASES.kind,
      metadata: { name: database.metadata.name, namespace: database.metadata.namespace },
      status: {
        ...status,
        conditions: storedConditions(conditions, current?.conditions, generation, clock()),
      },
    })
    await recordConditionChanges(
      this.options.events,
      database,
      current?.conditions,
      conditions,
      EVENT_CONDITIONS,
    )
    return 'status'
  }
}

const ownedBy = (object: KubeObject, database: Database) =>
  object.metadata.ownerReferences?.some((owner) => owner.uid === database.metadata.uid) === true
