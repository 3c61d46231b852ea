/**
 * The MariaDB (and MySQL-compatible) engine over mysql2. A tenant's user is `'<id>'@'%'` with
 * `MAX_USER_CONNECTIONS` and ALL PRIVILEGES on its database only (never GRANT OPTION, never a
 * global privilege).
 */
import { createPool, type Pool, type RowDataPacket } from 'mysql2/promise'
import {
  checkedIdentifier,
  type DatabaseAccount,
  type DatabaseEngine,
  type ServerEndpoint,
} from './engine.js'

export function mariaDbEngine(endpoint: ServerEndpoint): DatabaseEngine {
  const timeout = endpoint.timeoutMs ?? 10_000
  const pool: Pool = createPool({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.username,
    password: endpoint.password,
    connectionLimit: endpoint.poolSize ?? 4,
    maxIdle: 1,
    idleTimeout: 60_000,
    connectTimeout: timeout,
    multipleStatements: false,
    ...(endpoint.tls ? { ssl: { ca: endpoint.tls.ca, rejectUnauthorized: endpoint.tls.verify } } : {}),
  })
  const query = async (sql: string, values: readonly (string | number)[] = []) =>
    (await pool.query<RowDataPacket[]>({ sql, timeout, values: [...values] }))[0]

  const endSessions = async (user: string) => {
    const sessions = await query('SELECT id FROM information_schema.processlist WHERE user = ?', [user])
    for (const { id } of sessions)
      await query(`KILL CONNECTION ${Number(id)}`).catch(() => {
        // Ended meanwhile.
      })
  }

  return {
    engine: 'MariaDB',
    async version() {
      const [row] = await query('SELECT VERSION() AS version')
      return String(row?.version ?? '')
    },
    async ensure({ identifier, password, connectionLimit }: DatabaseAccount) {
      const id = checkedIdentifier(identifier)
      const limit = Math.trunc(connectionLimit)
      await query(`CREATE DATABASE IF NOT EXISTS \`${id}\``)
      await query(
        `CREATE USER IF NOT EXISTS '${id}'@'%' IDENTIFIED BY ? WITH MAX_USER_CONNECTIONS ${limit}`,
        [password],
      )
      // The user may exist from before (a retired user, a changed limit): make it what is asked.
      await query(
        `ALTER USER '${id}'@'%' IDENTIFIED BY ? WITH MAX_USER_CONNECTIONS ${limit} ACCOUNT UNLOCK`,
        [password],
      )
      await query(`GRANT ALL PRIVILEGES ON \`${id}\`.* TO '${id}'@'%'`)
    },
    async sizeBytes(identifier) {
      const [row] = await query(
        'SELECT COALESCE(SUM(data_length + index_length), 0) AS size FROM information_schema.tables WHERE table_schema = ?',
        [checkedIdentifier(identifier)],
      )
      return Number(row?.size ?? 0)
    },
    async retire(identifier) {
      const id = checkedIdentifier(identifier)
      const [exists] = await query('SELECT 1 AS found FROM mysql.user WHERE user = ?', [id])
      if (!exists) return
      await query(`ALTER USER '${id}'@'%' ACCOUNT LOCK`)
      await endSessions(id)
    },
    async drop(identifier) {
      const id = checkedIdentifier(identifier)
      await query(`DROP USER IF EXISTS '${id}'@'%'`)
      await endSessions(id)
      await query(`DROP DATABASE IF EXISTS \`${id}\``)
    },
    close: () => pool.end(),
  }
}
