/**
 * The engines the Database controller drives, against real MariaDB and PostgreSQL servers: what
 * a tenant's user can and cannot do after `ensure`, the connection limit, size measurement, and
 * what Retain and Delete leave behind.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import type { DatabaseEngine } from '../../src/database/engine.js'
import { connectEngine } from '../../src/database/engines.js'
import { databaseIdentifier } from '../../src/database/identifiers.js'
import { generatePassword } from '../../src/database/password.js'
import { type DatabaseServerUnderTest, databasesUnavailable, startMariaDb, startPostgres } from './servers.js'

const skip = await databasesUnavailable()

interface Login {
  readonly username: string
  readonly password: string
  readonly database: string
}

/** Opens a connection as a tenant's user; rejects with the server's message when refused. */
async function connectAs(server: DatabaseServerUnderTest, login: Login): Promise<() => Promise<void>> {
  const { username: user, password, database } = login
  if (server.engine === 'MariaDB') {
    const connection = await createConnection({
      host: server.host,
      port: server.port,
      user,
      password,
      database,
    })
    return () => connection.end()
  }
  const client = new pg.Client({ host: server.host, port: server.port, user, password, database })
  client.on('error', () => {})
  await client.connect()
  return () => client.end()
}

for (const [engine, start] of [
  ['MariaDB', startMariaDb],
  ['PostgreSQL', startPostgres],
] as const) {
  describe(`the ${engine} engine on a real server`, { skip }, () => {
    let server: DatabaseServerUnderTest
    let driver: DatabaseEngine

    before(async () => {
      server = await start()
      driver = connectEngine(engine, { host: server.host, port: server.port, ...server.admin })
    })
    after(async () => {
      await driver?.close()
      await server?.stop()
    })

    const account = (namespace: string, name: string, connectionLimit = 5) => {
      const identifier = databaseIdentifier(namespace, name)
      return { identifier, password: generatePassword(), connectionLimit }
    }
    const loginOf = (a: { identifier: string; password: string }, database = a.identifier): Login => ({
      username: a.identifier,
      password: a.password,
      database,
    })

    it('names its version', async () => {
      assert.match(await driver.version(), /^\d+\.\d+/)
    })

    it("creates a tenant's database and user; the user works in its own database and is refused another tenant's", async () => {
      const shop = account('tenant-a', 'shop')
      const blog = account('tenant-b', 'blog')
      await driver.ensure(shop)
      await driver.ensure(blog)
      // The same call again changes nothing and fails nothing.
      await driver.ensure(shop)
      await server.sql('CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)', loginOf(shop))
      await server.sql("INSERT INTO notes VALUES (1, 'hello')", loginOf(shop))
      assert.equal((await server.sql('SELECT body FROM notes', loginOf(shop))).trim(), 'hello')
      await assert.rejects(
        server.sql('SELECT 1', loginOf(blog, shop.identifier)),
        /denied|permission/i,
        "B's user may not open A's database",
      )
      await assert.rejects(
        server.sql('SELECT 1', { ...loginOf(shop), password: generatePassword() }),
        /denied|authentication failed/i,
      )
    })

    it('enforces the connection limit per user', async () => {
      const small = account('tenant-a', 'small', 2)
      await driver.ensure(small)
      const held = [await connectAs(server, loginOf(small)), await connectAs(server, loginOf(small))]
      try {
        await assert.rejects(connectAs(server, loginOf(small)), /max_user_connections|too many connections/i)
      } finally {
        await Promise.all(held.map((end) => end()))
      }
      // A raised limit applies to the same user at once.
      await driver.ensure({ ...small, connectionLimit: 3 })
      const three = [
        await connectAs(server, loginOf(small)),
        await connectAs(server, loginOf(small)),
        await connectAs(server, loginOf(small)),
      ]
      await Promise.all(three.map((end) => end()))
    })

    it('measures the size of a database as it grows', async () => {
      const sized = account('tenant-a', 'sized')
      await driver.ensure(sized)
      const before = await driver.sizeBytes(sized.identifier)
      await server.sql('CREATE TABLE blobs (id INT PRIMARY KEY, body TEXT)', loginOf(sized))
      // Uncompressed, so the rows take the space they seem to (PostgreSQL would compress the repeats).
      if (engine === 'PostgreSQL')
        await server.sql('ALTER TABLE blobs ALTER COLUMN body SET STORAGE EXTERNAL', loginOf(sized))
      const fill =
        engine === 'MariaDB'
          ? 'INSERT INTO blobs SELECT seq, REPEAT(MD5(seq), 64) FROM seq_1_to_2000'
          : 'INSERT INTO blobs SELECT g, repeat(md5(g::text), 64) FROM generate_series(1, 2000) g'
      await server.sql(fill, loginOf(sized))
      if (engine === 'MariaDB') await server.sql('ANALYZE TABLE blobs', loginOf(sized))
      const after = await driver.sizeBytes(sized.identifier)
      assert.ok(after > before + 1_000_000, `size grew from ${before} to ${after} bytes`)
    })

    it('retire keeps the data and locks the user out, ending its sessions; ensure takes it back with a new password', async () => {
      const kept = account('tenant-c', 'kept')
      await driver.ensure(kept)
      await server.sql('CREATE TABLE t (id INT PRIMARY KEY)', loginOf(kept))
      await server.sql('INSERT INTO t VALUES (42)', loginOf(kept))
      const session = await connectAs(server, loginOf(kept))
      await driver.retire(kept.identifier)
      await session().catch(() => {})
      await assert.rejects(
        server.sql('SELECT 1', loginOf(kept)),
        /denied|locked|not permitted|authentication failed/i,
      )
      const adopted = { ...kept, password: generatePassword() }
      await driver.ensure(adopted)
      assert.equal((await server.sql('SELECT id FROM t', loginOf(adopted))).trim(), '42')
      // Retiring what does not exist is not an error (deleted by hand, or never created).
      await driver.retire(databaseIdentifier('tenant-c', 'never'))
    })

    it('drop removes the database and its user, even with a session open', async () => {
      const gone = account('tenant-d', 'gone')
      await driver.ensure(gone)
      const session = await connectAs(server, loginOf(gone))
      await driver.drop(gone.identifier)
      await session().catch(() => {})
      const listed =
        engine === 'MariaDB'
          ? await server.sql(
              `SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '${gone.identifier}'`,
            )
          : await server.sql(`SELECT COUNT(*) FROM pg_database WHERE datname = '${gone.identifier}'`)
      assert.equal(listed.trim(), '0')
      await assert.rejects(
        server.sql('SELECT 1', loginOf(gone)),
        /denied|does not exist|authentication failed/i,
      )
      await driver.drop(gone.identifier)
    })

    it('refuses an identifier that did not come from databaseIdentifier before any SQL', async () => {
      for (const identifier of ['x`; DROP DATABASE mysql; --', 'x"; DROP ROLE postgres; --', 'Robert'])
        await assert.rejects(
          driver.ensure({ identifier, password: generatePassword(), connectionLimit: 1 }),
          /unsafe database identifier/,
        )
    })
  })
}
