/**
 * The PostgreSQL engine over pg. A tenant's user is a LOGIN role with `CONNECTION LIMIT` that owns
 * its database; CONNECT on the database is revoked from PUBLIC, so no other tenant's role can
 * even open it. The admin needs CREATEDB and CREATEROLE (or superuser): before PostgreSQL 16 a
 * CREATEROLE admin must be a member of a role to make it a database's owner, so it grants that to itself.
 */
import pg from 'pg'
import {
  checkedIdentifier,
  type DatabaseAccount,
  type DatabaseEngine,
  type ServerEndpoint,
} from './engine.js'

export function postgresEngine(endpoint: ServerEndpoint): DatabaseEngine {
  const timeout = endpoint.timeoutMs ?? 10_000
  const pool = new pg.Pool({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.username,
    password: endpoint.password,
    database: 'postgres',
    max: endpoint.poolSize ?? 4,
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: timeout,
    statement_timeout: timeout,
    query_timeout: timeout,
    application_name: 'hostplane-operator',
    ...(endpoint.tls ? { ssl: { ca: endpoint.tls.ca, rejectUnauthorized: endpoint.tls.verify } } : {}),
  })
  // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  const query = async (sql: string, values: readonly unknown[] = []) =>
    (await pool.query<Record<string, unknown>>(sql, [...values])).rows

  const endSessions = (role: string) =>
    query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role])
  const roleExists = async (role: string) =>
    (await query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length > 0

  return {
    engine: 'PostgreSQL',
    async version() {
      const [row] = await query('SHOW server_version')
      return String(row?.server_version ?? '')
    },
    async ensure({ identifier, password, connectionLimit }: DatabaseAccount) {
      const id = checkedIdentifier(identifier)
      const settings = `LOGIN PASSWORD ${pg.escapeLiteral(password)} CONNECTION LIMIT ${Math.trunc(connectionLimit)}`
      await query(`${(await roleExists(id)) ? 'ALTER' : 'CREATE'} ROLE "${id}" ${settings}`)
      const [admin] = await query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')
      if (admin?.rolsuper !== true) await query(`GRANT "${id}" TO current_user`)
      if ((await query('SELECT 1 FROM pg_database WHERE datname = $1', [id])).length === 0)
        await query(`CREATE DATABASE "${id}" OWNER "${id}"`)
      await query(`REVOKE ALL ON DATABASE "${id}" FROM PUBLIC`)
    },
    async sizeBytes(identifier) {
      const [row] = await query('SELECT pg_database_size($1)::text AS size', [checkedIdentifier(identifier)])
      return Number(row?.size ?? 0)
    },
    async retire(identifier) {
      const id = checkedIdentifier(identifier)
      if (!(await roleExists(id))) return
      await query(`ALTER ROLE "${id}" NOLOGIN PASSWORD NULL`)
      await endSessions(id)
    },
    async drop(identifier) {
      const id = checkedIdentifier(identifier)
      await query(`DROP DATABASE IF EXISTS "${id}" WITH (FORCE)`)
      await query(`DROP ROLE IF EXISTS "${id}"`)
    },
    close: () => pool.end(),
  }
}
