/**
 * The real servers the database tests of issue 17 run against, and the privilege model hostplane
 * builds on: the admin of a DatabaseServer creates a database and a user with a password over TCP;
 * that user reaches its own database and is refused another one.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { type DatabaseServerUnderTest, databasesUnavailable, startMariaDb, startPostgres } from './servers.js'

const skip = await databasesUnavailable()

const SETUP = {
  MariaDB: (db: string, user: string, password: string) =>
    `CREATE DATABASE ${db}; CREATE USER '${user}'@'%' IDENTIFIED BY '${password}' WITH MAX_USER_CONNECTIONS 5; GRANT ALL PRIVILEGES ON ${db}.* TO '${user}'@'%';`,
  PostgreSQL: (db: string, user: string, password: string) =>
    `CREATE ROLE ${user} LOGIN PASSWORD '${password}' CONNECTION LIMIT 5; CREATE DATABASE ${db} OWNER ${user}; REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`,
} as const

for (const [engine, start] of [
  ['MariaDB', startMariaDb],
  ['PostgreSQL', startPostgres],
] as const) {
  describe(`a real ${engine} server`, { skip }, () => {
    let server: DatabaseServerUnderTest

    before(async () => {
      server = await start()
    })
    after(async () => {
      await server?.stop()
    })

    it('its admin creates two tenants’ databases and users; each user reaches its own database only', async () => {
      const tenants = ['a', 'b'].map((t) => ({
        db: `hp_${t}_shop`,
        user: `hp_${t}_shop`,
        password: randomBytes(18).toString('base64url'),
      }))
      // PostgreSQL runs each statement of one -c in one transaction, which CREATE DATABASE refuses.
      for (const { db, user, password } of tenants)
        for (const statement of SETUP[engine](db, user, password).split('; '))
          await server.sql(statement.endsWith(';') ? statement : `${statement};`)
      const [a, b] = tenants as [(typeof tenants)[0], (typeof tenants)[0]]
      const asA = { username: a.user, password: a.password, database: a.db }
      await server.sql('CREATE TABLE notes (id INT PRIMARY KEY)', asA)
      await server.sql('INSERT INTO notes VALUES (1)', asA)
      assert.equal((await server.sql('SELECT count(*) FROM notes', asA)).trim(), '1')
      await assert.rejects(
        server.sql('SELECT 1', { username: a.user, password: a.password, database: b.db }),
        /denied|permission|not permitted/i,
        "A's user is refused B's database",
      )
      await assert.rejects(
        server.sql('SELECT 1', { username: a.user, password: 'wrong', database: a.db }),
        /denied|authentication failed/i,
      )
    })
  })
}
