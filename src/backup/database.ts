/**
 * A Database's part of a restore point: a consistent dump streamed into restic, and beside it
 * each table's row count and content checksum, taken from the same data the dump holds. On
 * PostgreSQL both read one exported snapshot (`pg_dump --snapshot`); MariaDB has no shared
 * snapshots, so the sums are taken before and after the `--single-transaction` dump and a table
 * whose sums moved in between is recorded as changing (its contents are not vouched for). A
 * verification restores the dump into a scratch database and compares the sums. A dump holds the
 * whole database: with its tables also their triggers, and the routines and (MariaDB) events.
 */
import { createConnection, type RowDataPacket } from 'mysql2/promise'
import pg from 'pg'
import type { PipedConsumer, PipedProgram, Restic } from './restic.js'
import { PARTS, type PointLabels, partLabels, partOf, storedJson } from './restore-point.js'

/** What a Database's Secret says, and what a restore needs to write a database. */
export interface DatabaseLogin {
  readonly engine: 'MariaDB' | 'PostgreSQL'
  readonly host: string
  readonly port: number
  readonly database: string
  readonly username: string
  readonly password: string
}

export interface TableSums {
  readonly table: string
  readonly rows: number
  readonly checksum: string
}

export interface DatabaseManifest {
  readonly engine: DatabaseLogin['engine']
  readonly tables: readonly TableSums[]
  /** Tables written to while the backup ran: present in the dump, their sums not comparable. */
  readonly changing: readonly string[]
}

/** The dump's file in the database part's snapshot (`/dump.sql`). */
export const DUMP_FILE = 'dump.sql'
const MANIFEST_FILE = 'database-manifest.json'
const CONNECT_TIMEOUT_MS = 10_000

type Sql = (statement: string) => Promise<Record<string, unknown>[]>

async function withMariaDb<T>(login: DatabaseLogin, use: (sql: Sql) => Promise<T>): Promise<T> {
  const connection = await createConnection({
    host: login.host,
    port: login.port,
    user: login.username,
    password: login.password,
    database: login.database,
    connectTimeout: CONNECT_TIMEOUT_MS,
    multipleStatements: false,
  })
  try {
    return await use(async (statement) => {
      const [rows] = await connection.query<RowDataPacket[]>(statement)
      return rows
    })
  } finally {
    await connection.end()
  }
}

async function withPostgres<T>(
  login: DatabaseLogin,
  use: (sql: Sql, client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    host: login.host,
    port: login.port,
    user: login.username,
    password: login.password,
    database: login.database,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  })
  await client.connect()
  try {
    return await use(
      async (statement) => (await client.query<Record<string, unknown>>(statement)).rows,
      client,
    )
  } finally {
    await client.end()
  }
}

async function mariaDbSums(sql: Sql): Promise<TableSums[]> {
  const tables = await sql(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name",
  )
  const sums: TableSums[] = []
  for (const { name } of tables) {
    const quoted = `\`${String(name).replaceAll('`', '``')}\``
    const [count] = await sql(`SELECT COUNT(*) AS n FROM ${quoted}`)
    const [checksum] = await sql(`CHECKSUM TABLE ${quoted} EXTENDED`)
    sums.push({
      table: String(name),
      rows: Number(count?.n ?? 0),
      checksum: String(checksum?.Checksum ?? ''),
    })
  }
  return sums
}

async function postgresSums(sql: Sql, client: pg.Client): Promise<TableSums[]> {
  const tables = await sql(
    "SELECT schemaname AS schema, tablename AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
  )
  const sums: TableSums[] = []
  for (const { schema, name } of tables) {
    const quoted = `${client.escapeIdentifier(String(schema))}.${client.escapeIdentifier(String(name))}`
    const [row] = await sql(
      `SELECT count(*)::bigint AS n, coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') AS sum FROM ${quoted} t`,
    )
    sums.push({
      table: `${String(schema)}.${String(name)}`,
      rows: Number(row?.n ?? 0),
      checksum: String(row?.sum ?? ''),
    })
  }
  return sums
}

const dumpOf = (login: DatabaseLogin, snapshot?: string): PipedProgram =>
  login.engine === 'MariaDB'
    ? {
        program: 'mariadb-dump',
        args: [
          '--no-defaults',
          `--host=${login.host}`,
          `--port=${login.port}`,
          `--user=${login.username}`,
          '--single-transaction',
          '--routines',
          '--triggers',
          '--events',
          '--hex-blob',
          '--no-tablespaces',
          '--skip-comments',
          login.database,
        ],
        env: { MYSQL_PWD: login.password },
      }
    : {
        program: 'pg_dump',
        args: [
          `--host=${login.host}`,
          `--port=${login.port}`,
          `--username=${login.username}`,
          '--no-owner',
          '--no-privileges',
          ...(snapshot ? [`--snapshot=${snapshot}`] : []),
          login.database,
        ],
        env: { PGPASSWORD: login.password },
      }

/**
 * A dump's triggers, routines, events and views name the user who made them (`DEFINER=`), and
 * MariaDB lets only SUPER or SET USER create them for another user: loaded into a Database with
 * another user (a restore into a new Database, a drill's scratch Database) they would be refused.
 * So every definer becomes the loading user. Row data is never rewritten: mariadb-dump writes rows
 * only on lines that begin with INSERT INTO (a string's line breaks are escaped).
 */
const DEFINER_REWRITE = '/^INSERT INTO /!s/DEFINER=`[^`]*`@`[^`]*`/DEFINER=CURRENT_USER/g'

/**
 * The client that loads a dump. psql loads it in one transaction, after dropping everything the
 * user owns when `replace` (`DROP OWNED`, which keeps the database's `public` schema, owned by
 * `pg_database_owner`, and the user's right to connect), and commits only once the whole dump
 * arrived: a load that fails or breaks off midway leaves the database as it was. MariaDB commits
 * each statement of DDL as it goes, so there the database is emptied before (`emptyMariaDb`); its
 * dump passes through DEFINER_REWRITE.
 */
const clientOf = (login: DatabaseLogin, replace: boolean): PipedConsumer =>
  login.engine === 'MariaDB'
    ? {
        program: 'mariadb',
        args: [
          '--no-defaults',
          `--host=${login.host}`,
          `--port=${login.port}`,
          `--user=${login.username}`,
          login.database,
        ],
        env: { MYSQL_PWD: login.password },
        filter: { program: 'env', args: ['LC_ALL=C', 'sed', '-E', DEFINER_REWRITE] },
      }
    : {
        program: 'psql',
        args: [
          '--quiet',
          '--no-psqlrc',
          '--set=ON_ERROR_STOP=1',
          `--host=${login.host}`,
          `--port=${login.port}`,
          `--username=${login.username}`,
          `--dbname=${login.database}`,
          '--command=BEGIN',
          ...(replace ? ['--command=DROP OWNED BY CURRENT_USER CASCADE'] : []),
          '--file=-',
        ],
        env: { PGPASSWORD: login.password },
        complete: 'COMMIT;\n',
      }

/** The sums of every table as they are now. */
export function databaseSums(login: DatabaseLogin): Promise<TableSums[]> {
  return login.engine === 'MariaDB' ? withMariaDb(login, mariaDbSums) : withPostgres(login, postgresSums)
}

export interface DatabaseBackup {
  readonly snapshot: string
  readonly tables: number
  readonly rows: number
  readonly added: number
  readonly changing: readonly string[]
}

export async function backupDatabase(
  restic: Restic,
  login: DatabaseLogin,
  point: string,
  labels: PointLabels = {},
): Promise<DatabaseBackup> {
  let manifest: DatabaseManifest
  let snapshot: string
  let added: number
  if (login.engine === 'PostgreSQL') {
    ;({ manifest, snapshot, added } = await withPostgres(login, async (sql, client) => {
      await sql('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      const [exported] = await sql('SELECT pg_export_snapshot() AS id')
      const tables = await postgresSums(sql, client)
      const summary = await restic.backupOutputOf(
        dumpOf(login, String(exported?.id)),
        DUMP_FILE,
        partLabels(point, PARTS.database, labels),
      )
      await sql('COMMIT')
      return {
        manifest: { engine: login.engine, tables, changing: [] },
        snapshot: summary.snapshot_id,
        added: summary.data_added,
      }
    }))
  } else {
    const before = await databaseSums(login)
    const summary = await restic.backupOutputOf(
      dumpOf(login),
      DUMP_FILE,
      partLabels(point, PARTS.database, labels),
    )
    const after = await databaseSums(login)
    const was = new Map(before.map((sums) => [sums.table, JSON.stringify(sums)]))
    manifest = {
      engine: login.engine,
      tables: after,
      changing: after
        .filter((sums) => was.get(sums.table) !== JSON.stringify(sums))
        .map((sums) => sums.table),
    }
    snapshot = summary.snapshot_id
    added = summary.data_added
  }
  await restic.backupStdin(
    MANIFEST_FILE,
    JSON.stringify(manifest),
    partLabels(point, PARTS.databaseManifest, labels),
  )
  return {
    snapshot,
    tables: manifest.tables.length,
    rows: manifest.tables.reduce((sum, table) => sum + table.rows, 0),
    added,
    changing: manifest.changing,
  }
}

export async function recordedDatabaseManifest(restic: Restic, point: string): Promise<DatabaseManifest> {
  return storedJson<DatabaseManifest>(restic, point, PARTS.databaseManifest, MANIFEST_FILE)
}

/**
 * Drops what a MariaDB restore replaces: the database's views, tables (with their triggers) and
 * sequences, foreign keys unchecked so no order is needed, and its routines and events.
 */
async function emptyMariaDb(login: DatabaseLogin): Promise<void> {
  await withMariaDb(login, async (sql) => {
    const quoted = (name: unknown) => `\`${String(name).replaceAll('`', '``')}\``
    await sql('SET FOREIGN_KEY_CHECKS = 0')
    const tables = await sql(
      "SELECT table_name AS name, table_type AS type FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_type = 'VIEW' DESC",
    )
    for (const { name, type } of tables)
      await sql(
        `DROP ${type === 'VIEW' ? 'VIEW' : type === 'SEQUENCE' ? 'SEQUENCE' : 'TABLE'} IF EXISTS ${quoted(name)}`,
      )
    const routines = await sql(
      'SELECT routine_name AS name, routine_type AS type FROM information_schema.routines WHERE routine_schema = DATABASE()',
    )
    for (const { name, type } of routines)
      await sql(`DROP ${type === 'FUNCTION' ? 'FUNCTION' : 'PROCEDURE'} IF EXISTS ${quoted(name)}`)
    const events = await sql(
      'SELECT event_name AS name FROM information_schema.events WHERE event_schema = DATABASE()',
    )
    for (const { name } of events) await sql(`DROP EVENT IF EXISTS ${quoted(name)}`)
  })
}

/** How a database's tables differ from the sums recorded at backup time; empty when they hold the same. */
function sumsDifferences(expected: DatabaseManifest, actual: readonly TableSums[]): string[] {
  const found = new Map(actual.map((sums) => [sums.table, sums]))
  const problems: string[] = []
  for (const table of expected.tables) {
    const sums = found.get(table.table)
    found.delete(table.table)
    if (!sums) problems.push(`table ${table.table}: missing`)
    else if (expected.changing.includes(table.table)) continue
    else if (sums.rows !== table.rows)
      problems.push(`table ${table.table}: ${sums.rows} rows, was ${table.rows}`)
    else if (sums.checksum !== table.checksum)
      problems.push(`table ${table.table}: its contents differ from the backup's`)
  }
  for (const extra of found.keys()) problems.push(`table ${extra}: not in the backup`)
  return problems
}

export interface DatabaseRestore {
  readonly database: string
  readonly tables: number
  readonly rows: number
  /** How the restored tables differ from the recorded sums; empty when they match. */
  readonly problems: readonly string[]
}

export interface RestoreOptions {
  /** Replace what the database holds; without it, it should be empty. @default false */
  readonly replace?: boolean
  /**
   * The restore point of what the database held before (a Restore's `-before` Backup): a MariaDB
   * load that fails names it as the way back.
   */
  readonly before?: string
}

/**
 * Restores the dump of `point` into the database `login` names, which should be empty unless
 * `replace`: then everything the user may drop is dropped (see `clientOf`). Answers what the
 * database holds afterwards, compared with the sums recorded at backup time. A load that fails
 * rejects with what it left: PostgreSQL the database as it was, MariaDB perhaps part of the dump.
 */
export async function restoreDatabase(
  restic: Restic,
  point: string,
  login: DatabaseLogin,
  options: RestoreOptions = {},
): Promise<DatabaseRestore> {
  return restoreAsRecorded(restic, point, login, await recordedDatabaseManifest(restic, point), options)
}

async function restoreAsRecorded(
  restic: Restic,
  point: string,
  login: DatabaseLogin,
  expected: DatabaseManifest,
  { replace = false, before }: RestoreOptions,
): Promise<DatabaseRestore> {
  const snapshot = await partOf(restic, point, PARTS.database)
  if (replace && login.engine === 'MariaDB') await emptyMariaDb(login)
  try {
    await restic.restoreInto(snapshot.id, `/${DUMP_FILE}`, clientOf(login, replace))
  } catch (error) {
    const failed = `loading the dump of restore point ${point} into database ${login.database} failed`
    throw new Error(
      login.engine === 'PostgreSQL'
        ? `${failed} and was rolled back: the database holds what it held before (${(error as Error).message})`
        : `${failed}, so it may be partly restored (MariaDB cannot roll back tables): restore it again${before ? `, or restore point ${before} to go back to what it held before` : ''} (${(error as Error).message})`,
      { cause: error },
    )
  }
  const sums = await databaseSums(login)
  return {
    database: login.database,
    tables: sums.length,
    rows: sums.reduce((sum, table) => sum + table.rows, 0),
    problems: sumsDifferences(expected, sums),
  }
}

/**
 * Restores `point` into the empty scratch database `scratch` and compares each table's sums with
 * the recorded ones. Returns the problems, none when the backup holds what it should.
 */
export async function verifyDatabase(
  restic: Restic,
  point: string,
  scratch: DatabaseLogin,
): Promise<string[]> {
  try {
    const expected = await recordedDatabaseManifest(restic, point)
    if (expected.tables.length === 0) return [`restore point ${point} holds no tables`]
    return [...(await restoreAsRecorded(restic, point, scratch, expected, {})).problems]
  } catch (error) {
    return [`restore point ${point} could not be restored: ${(error as Error).message}`]
  }
}
