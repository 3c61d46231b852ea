/**
 * Tenant databases (issue 17, seed 003). `DatabaseServer` (cluster-scoped, admin): a MariaDB or
 * PostgreSQL server hostplane may create databases on — its own, one run by mariadb-operator or
 * CloudNativePG, or an external one — with the tiers that may use it and the limits of each
 * database. `Database` (namespaced, tenant): one database and one user with a generated password
 * on such a server, the connection details written to a Secret of the tenant's namespace.
 *
 * Tenants never name SQL identifiers: the database and the user are derived from the namespace
 * and the object name by one function (src/database), from characters the schema admits (a DNS
 * label), so no quoting trick can reach SQL; the schema refuses everything else before the
 * operator sees it.
 */
import { type Static, Type } from '@sinclair/typebox'
import { commonStatus, conditionColumn } from './conditions.js'
import { IpRange, TIERS } from './customer.js'
import type { KindDefinition } from './kind.js'
import { celMatches, celRules, DNS_LABEL, Hostname, ObjectName, StringEnum } from './schema-kit.js'

export const ENGINES = ['MariaDB', 'PostgreSQL'] as const
export type Engine = (typeof ENGINES)[number]

/** The port each engine listens on unless its server says otherwise. */
export const DEFAULT_PORTS: Readonly<Record<Engine, number>> = { MariaDB: 3306, PostgreSQL: 5432 }

export const DELETION_POLICIES = ['Retain', 'Delete'] as const

/**
 * Longest Database name: the identifiers derived from it (a prefix of the namespace's hash, `_`,
 * the name) stay within PostgreSQL's 63 bytes and MariaDB's 64 (database) and 80 (user).
 */
export const MAX_DATABASE_NAME = 40

const QUANTITY = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$'

const immutable = (what: string) => ({ rule: 'self == oldSelf', message: `${what} cannot be changed` })

export const DatabaseServerSpec = Type.Object({
  engine: StringEnum(ENGINES, {
    description: 'MariaDB (also MySQL-compatible servers) or PostgreSQL.',
    ...celRules(immutable('engine')),
  }),
  host: Hostname('host'),
  port: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 65535, description: 'Default: 3306 (MariaDB), 5432 (PostgreSQL).' }),
  ),
  adminSecretRef: Type.Object(
    {
      namespace: Type.String({
        maxLength: 63,
        ...celRules({
          rule: celMatches('self', DNS_LABEL),
          message: 'adminSecretRef.namespace must be a namespace name',
        }),
      }),
      name: ObjectName('adminSecretRef.name'),
    },
    {
      description:
        'A Secret with `username` and `password` of an account that may create databases and users (and, for MariaDB, grant on them). Keep it in the system namespace: tenants must not read it.',
    },
  ),
  tls: Type.Optional(
    Type.Object({
      mode: StringEnum(['disable', 'require', 'verify'] as const, {
        default: 'verify',
        description:
          'verify: TLS with the server certificate checked against caSecretRef (or the system CAs).',
      }),
      caSecretRef: Type.Optional(
        Type.Object({ namespace: Type.String({ maxLength: 63 }), name: ObjectName('tls.caSecretRef.name') }),
      ),
    }),
  ),
  network: Type.Optional(
    Type.Object(
      {
        cidrs: Type.Optional(
          Type.Array(IpRange('network.cidrs'), { maxItems: 16, 'x-kubernetes-list-type': 'set' }),
        ),
        namespace: Type.Optional(
          Type.String({
            maxLength: 63,
            ...celRules({
              rule: celMatches('self', DNS_LABEL),
              message: 'network.namespace must be a namespace name',
            }),
          }),
        ),
        podLabels: Type.Optional(
          Type.Record(Type.String({ maxLength: 317 }), Type.String({ maxLength: 63 }), { maxProperties: 8 }),
        ),
      },
      {
        description:
          'Where the server is, for the NetworkPolicy that lets the namespaces with a Database here (and only those) open connections to it: IP ranges, or the namespace (and pod labels) of an in-cluster server. Without it tenants reach the server only through Customer spec.egress.',
      },
    ),
  ),
  tiers: Type.Array(StringEnum(TIERS), {
    minItems: 1,
    maxItems: 2,
    'x-kubernetes-list-type': 'set',
    description: 'The customer tiers whose Databases may be placed here.',
  }),
  default: Type.Optional(
    Type.Boolean({
      description: 'Where a Database of this engine without spec.server goes, for the tiers above.',
    }),
  ),
  limits: Type.Object(
    {
      maxDatabaseSize: Type.String({
        maxLength: 32,
        default: '1Gi',
        description: 'Size a database may reach; beyond it its Database says so (WithinQuota=False).',
        ...celRules({
          rule: celMatches('self', QUANTITY),
          message: 'maxDatabaseSize must be a quantity such as 1Gi',
        }),
      }),
      maxConnectionsPerUser: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
      maxDatabases: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 100000, description: 'Databases this server holds at most.' }),
      ),
    },
    { default: {} },
  ),
})

export const DatabaseServerStatus = Type.Object({
  ...commonStatus,
  version: Type.Optional(Type.String({ maxLength: 256, description: 'What the server says it is.' })),
  databases: Type.Optional(Type.Integer({ minimum: 0, description: 'Databases hostplane placed here.' })),
})

export const DatabaseSpec = Type.Object({
  engine: StringEnum(ENGINES, { ...celRules(immutable('engine')) }),
  server: Type.Optional(
    ObjectName('server', {
      description:
        "A DatabaseServer the customer's tier may use; without it, the default server of the engine.",
      ...celRules(immutable('server')),
    }),
  ),
  connectionLimit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1000,
      description:
        "Connections the user may hold at once; at most the server's maxConnectionsPerUser (its default).",
    }),
  ),
  deletionPolicy: StringEnum(DELETION_POLICIES, {
    default: 'Retain',
    description:
      'Retain: deleting the Database keeps the database and its user on the server (the user can no longer log in: its password is changed). Delete: both are dropped.',
  }),
})

export const DatabaseStatus = Type.Object({
  ...commonStatus,
  server: Type.Optional(Type.String({ maxLength: 253, description: 'The DatabaseServer it is on.' })),
  database: Type.Optional(Type.String({ maxLength: 64, description: 'Its name on the server.' })),
  user: Type.Optional(Type.String({ maxLength: 80 })),
  secret: Type.Optional(
    Type.String({ maxLength: 253, description: 'The Secret with host, port, database, username, password.' }),
  ),
  sizeBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  limitBytes: Type.Optional(Type.Integer({ minimum: 0 })),
})

export type DatabaseServerSpec = Static<typeof DatabaseServerSpec>
export type DatabaseServerStatus = Static<typeof DatabaseServerStatus>
export type DatabaseSpec = Static<typeof DatabaseSpec>
export type DatabaseStatus = Static<typeof DatabaseStatus>

export const DatabaseServerKind: KindDefinition = {
  kind: 'DatabaseServer',
  plural: 'databaseservers',
  singular: 'databaseserver',
  shortNames: ['dbs'],
  scope: 'Cluster',
  description: "A MariaDB or PostgreSQL server hostplane creates tenants' databases on.",
  spec: DatabaseServerSpec,
  status: DatabaseServerStatus,
  printerColumns: [
    { name: 'Engine', type: 'string', jsonPath: '.spec.engine' },
    { name: 'Host', type: 'string', jsonPath: '.spec.host' },
    { name: 'Databases', type: 'integer', jsonPath: '.status.databases' },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}

export const DatabaseKind: KindDefinition = {
  kind: 'Database',
  plural: 'databases',
  singular: 'database',
  shortNames: ['db'],
  scope: 'Namespaced',
  description:
    'A database and its user on a DatabaseServer, with the connection details in a Secret of the namespace.',
  spec: DatabaseSpec,
  status: DatabaseStatus,
  objectRules: [
    {
      rule: `size(self.metadata.name) <= ${MAX_DATABASE_NAME} && ${celMatches('self.metadata.name', DNS_LABEL)}`,
      message: `metadata.name must be a DNS label of at most ${MAX_DATABASE_NAME} characters (lower-case letters, digits and '-')`,
    },
  ],
  printerColumns: [
    { name: 'Engine', type: 'string', jsonPath: '.spec.engine' },
    { name: 'Server', type: 'string', jsonPath: '.status.server' },
    { name: 'Database', type: 'string', jsonPath: '.status.database' },
    { name: 'Size', type: 'integer', jsonPath: '.status.sizeBytes' },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}
