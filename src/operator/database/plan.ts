/**
 * Pure decisions of the Database controller: which server a Database goes to (or why none), the
 * Secret and NetworkPolicy it owns, and its conditions. The reconciler does the I/O around them.
 */
import { DEFAULT_PORTS } from '../../api/database.js'
import { quantity } from '../../api/quantity.js'
import type { Customer, Database, DatabaseServer } from '../../api/resources.js'
import type { DesiredCondition } from '../../kube/conditions.js'
import type { KubeObject } from '../../kube/object.js'
import { CONDITION, REASON } from './conditions.js'
import { DATABASE_LABEL, DATABASE_SECRET_TYPE, DATABASES, ownedName } from './owned.js'

export type Placement =
  { readonly server: DatabaseServer } | { readonly reason: string; readonly message: string }

/**
 * The server of `database`: the one it is already on (placement never moves data), else the
 * one spec.server names, else the default server of its engine for the customer's tier (the first
 * by name when several are). `placed` counts the Databases already on each server.
 */
export function placeDatabase(
  database: Database,
  servers: readonly DatabaseServer[],
  customer: Customer | undefined,
  placed: (server: string) => number,
): Placement {
  if (!customer)
    return {
      reason: REASON.NoCustomer,
      message: `namespace ${database.metadata.namespace ?? ''} belongs to no Customer`,
    }
  const { engine } = database.spec
  const tier = customer.spec.tier
  const current = database.status?.server
  const named = current ?? database.spec.server
  if (named !== undefined) {
    const server = servers.find((s) => s.metadata.name === named)
    if (!server) return { reason: REASON.ServerNotFound, message: `DatabaseServer ${named} does not exist` }
    if (server.spec.engine !== engine)
      return {
        reason: REASON.ServerNotFound,
        message: `DatabaseServer ${named} runs ${server.spec.engine}, not ${engine}`,
      }
    if (current === undefined && !server.spec.tiers.includes(tier))
      return {
        reason: REASON.ServerNotAllowed,
        message: `DatabaseServer ${named} is not offered to the ${tier} tier (it serves ${server.spec.tiers.join(', ')})`,
      }
    return current === undefined ? withRoom(server, placed) : { server }
  }
  const server = servers
    .filter((s) => s.spec.default && s.spec.engine === engine && s.spec.tiers.includes(tier))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[0]
  if (!server)
    return {
      reason: REASON.NoServer,
      message: `no default ${engine} DatabaseServer serves the ${tier} tier: ask your provider, or name one in spec.server`,
    }
  return withRoom(server, placed)
}

function withRoom(server: DatabaseServer, placed: (server: string) => number): Placement {
  const { maxDatabases } = server.spec.limits
  if (maxDatabases !== undefined && placed(server.metadata.name) >= maxDatabases)
    return {
      reason: REASON.ServerFull,
      message: `DatabaseServer ${server.metadata.name} holds its limit of ${maxDatabases} databases`,
    }
  return { server }
}

/** Connections the user may hold: what the Database asks, at most (and by default) the server's limit. */
export const connectionLimit = (database: Database, server: DatabaseServer) =>
  Math.min(
    database.spec.connectionLimit ?? server.spec.limits.maxConnectionsPerUser,
    server.spec.limits.maxConnectionsPerUser,
  )

export const serverPort = (server: DatabaseServer) => server.spec.port ?? DEFAULT_PORTS[server.spec.engine]

/** Bytes the database may take: the server's maxDatabaseSize. */
export const limitBytes = (server: DatabaseServer) => Math.floor(quantity(server.spec.limits.maxDatabaseSize))

const ownership = (database: Database) => ({
  namespace: database.metadata.namespace,
  labels: { [DATABASE_LABEL]: database.metadata.name },
  ownerReferences: [
    {
      apiVersion: DATABASES.apiVersion,
      kind: DATABASES.kind,
      name: database.metadata.name,
      uid: database.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    },
  ],
})

const base64 = (value: string) => Buffer.from(value, 'utf8').toString('base64')

/** The Secret with everything an app needs to connect, `uri` included. */
export function renderDatabaseSecret(
  database: Database,
  server: DatabaseServer,
  account: { readonly identifier: string; readonly password: string },
): KubeObject {
  const { identifier, password } = account
  const host = server.spec.host
  const port = String(serverPort(server))
  const scheme = server.spec.engine === 'MariaDB' ? 'mysql' : 'postgresql'
  const data = {
    engine: server.spec.engine,
    host,
    port,
    database: identifier,
    username: identifier,
    password,
    uri: `${scheme}://${identifier}:${password}@${host.includes(':') ? `[${host}]` : host}:${port}/${identifier}`,
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ownedName(database.metadata.name), ...ownership(database) },
    type: DATABASE_SECRET_TYPE,
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, base64(value)])),
  } as KubeObject
}

/**
 * Egress from every pod of the namespace to the server, on its port: tenant namespaces deny
 * egress by default (the Customer's NetworkPolicy), so only namespaces with a Database on the
 * server reach it. Undefined when the server does not say where it is (spec.network).
 */
export function renderDatabaseNetworkPolicy(
  database: Database,
  server: DatabaseServer,
): KubeObject | undefined {
  const network = server.spec.network
  if (!network) return undefined
  const peers = [
    ...(network.cidrs ?? []).map((cidr) => ({ ipBlock: { cidr } })),
    ...(network.namespace
      ? [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': network.namespace } },
            ...(network.podLabels ? { podSelector: { matchLabels: { ...network.podLabels } } } : {}),
          },
        ]
      : []),
  ]
  if (peers.length === 0) return undefined
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: ownedName(database.metadata.name), ...ownership(database) },
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: peers, ports: [{ protocol: 'TCP', port: serverPort(server) }] }],
    },
  } as KubeObject
}

const MIB = 2 ** 20
const inMiB = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`

/** The conditions of a Database that is on its server, by its measured size. */
export function readyConditions(database: Database, sizeBytes: number, limit: number): DesiredCondition[] {
  const over = sizeBytes > limit
  return [
    {
      type: CONDITION.Ready,
      status: 'True',
      reason: REASON.DatabaseReady,
      message: `connect with Secret ${ownedName(database.metadata.name)}`,
    },
    {
      type: CONDITION.WithinQuota,
      status: over ? 'False' : 'True',
      reason: over ? REASON.OverQuota : REASON.WithinQuota,
      message: over
        ? `the database takes ${inMiB(sizeBytes)}, more than its limit of ${inMiB(limit)}: delete data, or ask your provider for a larger limit`
        : `${inMiB(sizeBytes)} of ${inMiB(limit)}`,
    },
  ]
}

/** The conditions of a Database that is not (or no longer) usable, and why. */
export const problemConditions = (reason: string, message: string): DesiredCondition[] => [
  { type: CONDITION.Ready, status: 'False', reason, message },
]
