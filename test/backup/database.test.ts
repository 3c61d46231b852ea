/**
 * A Database's backups with real restic on a real S3-compatible server (moto), from real MariaDB
 * and PostgreSQL servers: the dump restored into a new database row for row, with its triggers,
 * routines and events, the sums recorded at backup time matching a drill's restore, a load that
 * fails midway rolled back (PostgreSQL) or said to be partial (MariaDB), a database without
 * tables and a damaged backup found, and not a byte of the data in the bucket in the clear.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  backupDatabase,
  databaseSums,
  type DatabaseLogin,
  recordedDatabaseManifest,
  restoreDatabase,
  verifyDatabase,
} from '../../src/backup/database.js'
import { PARTS, partLabels, partOf } from '../../src/backup/restore-point.js'
import { Restic } from '../../src/backup/restic.js'
import { binaryUnavailable } from '../cluster/paths.js'
import {
  type DatabaseServerUnderTest,
  databasesUnavailable,
  startMariaDb,
  startPostgres,
} from '../database/servers.js'
import { motoUnavailable, S3_TEST_CREDENTIALS, type S3UnderTest, startMoto } from './moto.js'

const unavailable =
  (await binaryUnavailable('backup', '/usr/bin/restic', 'restic')) ||
  (await motoUnavailable()) ||
  (await databasesUnavailable())

const BUCKET = 'hostplane-db-backups'
const PLAINTEXT = 'ROW-PLAINTEXT-hostplane-4e1c'

for (const engine of ['MariaDB', 'PostgreSQL'] as const)
  describe(
    `a ${engine} Database’s backups with restic on an S3-compatible server`,
    { skip: unavailable },
    () => {
      let s3: S3UnderTest
      let server: DatabaseServerUnderTest
      let work: string
      let restic: Restic
      const password = randomBytes(12).toString('hex')
      const loginOf = (database: string, username = 'shop'): DatabaseLogin => ({
        engine,
        host: server.host,
        port: server.port,
        database,
        username,
        password,
      })
      const asShop = (database: string) => ({ username: 'shop', password, database })

      /** An empty database `user` owns (a Database of its own has a user of its own). */
      const createDatabase = async (name: string, user = 'shop') => {
        if (engine === 'MariaDB')
          await server.sql(`CREATE DATABASE ${name}; GRANT ALL ON ${name}.* TO '${user}'@'%';`)
        else await server.sql(`CREATE DATABASE ${name} OWNER ${user}`)
      }

      before(async () => {
        ;[s3, server] = await Promise.all([
          startMoto(),
          engine === 'MariaDB' ? startMariaDb() : startPostgres(),
        ])
        await s3.createBucket(BUCKET)
        for (const user of ['shop', 'other'])
          if (engine === 'MariaDB') await server.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}';`)
          else await server.sql(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`)
        for (const name of ['elsewhere', 'drill4']) await createDatabase(name, 'other')
        for (const name of [
          'shop',
          'restored',
          'drill',
          'drill2',
          'nothing',
          'programmed',
          'programmed2',
          'drill3',
        ])
          await createDatabase(name)
        const blob = engine === 'MariaDB' ? 'BLOB' : 'BYTEA'
        const binary = engine === 'MariaDB' ? "X'00FF10'" : "'\\x00ff10'"
        await server.sql(
          [
            `CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(100), note TEXT, picture ${blob})`,
            `INSERT INTO customers VALUES (1, 'Zoë', '${PLAINTEXT}', ${binary}), (2, 'O''Brien', NULL, NULL)`,
            'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER, total DECIMAL(10,2))',
            `INSERT INTO orders SELECT n, 1 + n % 2, n * 1.5 FROM (${engine === 'MariaDB' ? 'SELECT seq AS n FROM seq_1_to_500' : 'SELECT generate_series(1, 500) AS n'}) s`,
          ].join(';\n'),
          asShop('shop'),
        )
        work = await mkdtemp(join(tmpdir(), 'hp-db-backup-'))
        restic = new Restic(
          {
            url: `s3:${s3.endpoint}/${BUCKET}/acme`,
            password: randomBytes(24).toString('base64url'),
            env: S3_TEST_CREDENTIALS,
          },
          { cacheDir: join(work, 'cache'), timeoutMs: 120_000 },
        )
        await restic.ensureRepository()
      })

      after(async () => {
        await Promise.all([s3?.stop(), server?.stop()])
        if (work) await rm(work, { recursive: true, force: true })
      })

      it('restores the dump into a new database row for row', async () => {
        const backup = await backupDatabase(restic, loginOf('shop'), 'p1')
        assert.equal(backup.tables, 2)
        assert.equal(backup.rows, 502)
        assert.deepEqual(backup.changing, [])
        await restoreDatabase(restic, 'p1', loginOf('restored'))
        assert.deepEqual(await databaseSums(loginOf('restored')), await databaseSums(loginOf('shop')))
        const rows = (database: string) =>
          server.sql('SELECT id, name, note FROM customers ORDER BY id', asShop(database))
        assert.equal(await rows('restored'), await rows('shop'))
        assert.match(await rows('restored'), /Zoë/)
      })

      it('a drill restores it into a scratch database and finds the recorded sums', async () => {
        assert.deepEqual(await verifyDatabase(restic, 'p1', loginOf('drill')), [])
      })

      it('restores over the live database changed since: it holds the point’s tables row for row, nothing else', async () => {
        const recorded = await databaseSums(loginOf('shop'))
        const references =
          engine === 'MariaDB' ? 'INTEGER REFERENCES customers(id)' : 'INTEGER REFERENCES customers'
        await server.sql(
          [
            "UPDATE customers SET name = 'changed', note = NULL WHERE id = 1",
            "INSERT INTO customers VALUES (3, 'later', NULL, NULL)",
            'DROP TABLE orders',
            `CREATE TABLE reviews (id INTEGER PRIMARY KEY, customer ${references}, stars INTEGER)`,
            'INSERT INTO reviews VALUES (1, 1, 5), (2, 3, 1)',
            'CREATE VIEW good AS SELECT * FROM reviews WHERE stars > 3',
            engine === 'MariaDB'
              ? 'CREATE PROCEDURE later() SELECT 1'
              : "CREATE FUNCTION later() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
            ...(engine === 'MariaDB'
              ? ['CREATE EVENT tidy ON SCHEDULE EVERY 1 DAY DO DELETE FROM reviews']
              : []),
          ].join(';\n'),
          asShop('shop'),
        )
        const restored = await restoreDatabase(restic, 'p1', loginOf('shop'), { replace: true })
        assert.deepEqual(restored, { database: 'shop', tables: 2, rows: 502, problems: [] })
        assert.deepEqual(await databaseSums(loginOf('shop')), recorded)
        const objects =
          engine === 'MariaDB'
            ? 'SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1'
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        assert.equal(await server.sql(objects, asShop('shop')), 'customers\norders\n')
        const routines = `SELECT routine_name FROM information_schema.routines WHERE routine_schema = ${engine === 'MariaDB' ? 'DATABASE()' : "'public'"}`
        assert.equal(await server.sql(routines, asShop('shop')), '')
        if (engine === 'MariaDB')
          assert.equal(
            await server.sql(
              'SELECT event_name FROM information_schema.events WHERE event_schema = DATABASE()',
              asShop('shop'),
            ),
            '',
          )
      })

      it('says how a restore into a database that was not empty differs from the point', async () => {
        await server.sql('CREATE TABLE leftover (id INTEGER)', asShop('drill2'))
        const restored = await restoreDatabase(restic, 'p1', loginOf('drill2'))
        const leftover = engine === 'MariaDB' ? 'leftover' : 'public.leftover'
        assert.deepEqual(restored.problems, [`table ${leftover}: not in the backup`])
        assert.deepEqual(
          (await restoreDatabase(restic, 'p1', loginOf('drill2'), { replace: true })).problems,
          [],
        )
      })

      it('restores the triggers, routines and events with the tables, into a new database and over the old one', async () => {
        const programs =
          engine === 'MariaDB'
            ? [
                'CREATE TABLE visits (id INTEGER PRIMARY KEY, note TEXT)',
                "CREATE TRIGGER stamp BEFORE INSERT ON visits FOR EACH ROW SET NEW.note = 'stamped'",
                'CREATE FUNCTION twice(n INTEGER) RETURNS INTEGER DETERMINISTIC RETURN n * 2',
                'CREATE EVENT tidy ON SCHEDULE EVERY 1 DAY DO DELETE FROM visits',
              ]
            : [
                'CREATE TABLE visits (id INTEGER PRIMARY KEY, note TEXT)',
                "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := 'stamped'; RETURN NEW; END $$",
                'CREATE TRIGGER stamp BEFORE INSERT ON visits FOR EACH ROW EXECUTE FUNCTION stamp()',
                "CREATE FUNCTION twice(n integer) RETURNS integer LANGUAGE sql AS 'SELECT n * 2'",
              ]
        await server.sql(
          [...programs, 'INSERT INTO visits (id) VALUES (1)'].join(';\n'),
          asShop('programmed'),
        )
        const programsOf = (database: string, username = 'shop') =>
          server.sql(
            engine === 'MariaDB'
              ? `SELECT CONCAT('trigger ', trigger_name) FROM information_schema.triggers WHERE trigger_schema = DATABASE()
                 UNION ALL SELECT CONCAT(LOWER(routine_type), ' ', routine_name) FROM information_schema.routines WHERE routine_schema = DATABASE()
                 UNION ALL SELECT CONCAT('event ', event_name) FROM information_schema.events WHERE event_schema = DATABASE() ORDER BY 1`
              : `SELECT 'trigger ' || trigger_name FROM information_schema.triggers WHERE trigger_schema = 'public'
                 UNION ALL SELECT lower(routine_type) || ' ' || routine_name FROM information_schema.routines WHERE routine_schema = 'public' ORDER BY 1`,
            { username, password, database },
          )
        const expected =
          engine === 'MariaDB'
            ? 'event tidy\nfunction twice\ntrigger stamp\n'
            : 'function stamp\nfunction twice\ntrigger stamp\n'
        assert.equal(await programsOf('programmed'), expected)
        await backupDatabase(restic, loginOf('programmed'), 'p-programmed')

        const restored = await restoreDatabase(restic, 'p-programmed', loginOf('programmed2'))
        assert.deepEqual(restored, { database: 'programmed2', tables: 1, rows: 1, problems: [] })
        assert.equal(await programsOf('programmed2'), expected)
        await server.sql('INSERT INTO visits (id) VALUES (2)', asShop('programmed2'))
        assert.equal(
          await server.sql(
            "SELECT CONCAT(id, ' ', note, ' ', twice(id)) FROM visits ORDER BY id",
            asShop('programmed2'),
          ),
          '1 stamped 2\n2 stamped 4\n',
        )
        assert.deepEqual(await verifyDatabase(restic, 'p-programmed', loginOf('drill3')), [])
        assert.equal(await programsOf('drill3'), expected)
        // Into databases of another user, as a new Database and a drill's scratch Database are.
        const elsewhere = await restoreDatabase(restic, 'p-programmed', loginOf('elsewhere', 'other'))
        assert.deepEqual(elsewhere.problems, [])
        assert.equal(await programsOf('elsewhere', 'other'), expected)
        assert.deepEqual(await verifyDatabase(restic, 'p-programmed', loginOf('drill4', 'other')), [])
        const replaced = await restoreDatabase(restic, 'p-programmed', loginOf('programmed'), {
          replace: true,
        })
        assert.deepEqual(replaced.problems, [])
        assert.equal(await programsOf('programmed'), expected)
      })

      it(`a load that fails midway ${engine === 'PostgreSQL' ? 'is rolled back: the database holds what it held before' : 'may leave the database partly restored, and says so with the way back'}`, async () => {
        // p1's dump with its first order damaged, stored as restore point p-damaged beside p1's
        // sums: the load fails on the second table, after the first is loaded.
        const dump = (
          await restic.dump((await partOf(restic, 'p1', PARTS.database)).id, '/dump.sql')
        ).toString('utf8')
        const orders =
          engine === 'MariaDB'
            ? 'INSERT INTO `orders` VALUES'
            : 'COPY public.orders (id, customer, total) FROM stdin;\n'
        assert.ok(dump.includes(orders))
        await restic.backupStdin(
          'dump.sql',
          dump.replace(orders, `${orders}x`),
          partLabels('p-damaged', PARTS.database),
        )
        await restic.backupStdin(
          'database-manifest.json',
          JSON.stringify(await recordedDatabaseManifest(restic, 'p1')),
          partLabels('p-damaged', PARTS.databaseManifest),
        )
        await server.sql(
          "UPDATE customers SET name = 'kept' WHERE id = 2; CREATE TABLE kept (id INTEGER)",
          asShop('shop'),
        )
        const was = await databaseSums(loginOf('shop'))
        const failed = restoreDatabase(restic, 'p-damaged', loginOf('shop'), {
          replace: true,
          before: 'p-before',
        })
        if (engine === 'PostgreSQL') {
          await assert.rejects(failed, {
            message:
              /^loading the dump of restore point p-damaged into database shop failed and was rolled back: the database holds what it held before \(restic dump failed \(exit \d+\): .*ERROR: /,
          })
          assert.deepEqual(await databaseSums(loginOf('shop')), was)
          assert.equal(await server.sql('SELECT name FROM customers WHERE id = 2', asShop('shop')), 'kept\n')
        } else {
          await assert.rejects(failed, {
            message:
              /^loading the dump of restore point p-damaged into database shop failed, so it may be partly restored \(MariaDB cannot roll back tables\): restore it again, or restore point p-before to go back to what it held before \(restic dump failed \(exit \d+\): /,
          })
          const tables = await databaseSums(loginOf('shop'))
          assert.deepEqual(
            tables.map(({ table, rows }) => [table, rows]),
            [
              ['customers', 2],
              ['orders', 0],
            ],
          )
        }
      })

      it('never puts a row in the bucket in the clear', async () => {
        for (const [key, body] of await s3.objects(BUCKET))
          assert.ok(!body.includes(PLAINTEXT) && !body.includes('CREATE TABLE'), `${key} holds plaintext`)
      })

      it('finds a backup of a database without tables', async () => {
        await backupDatabase(restic, loginOf('nothing'), 'p-nothing')
        assert.deepEqual(await verifyDatabase(restic, 'p-nothing', loginOf('drill2')), [
          'restore point p-nothing holds no tables',
        ])
      })

      it('finds a damaged backup', async () => {
        const objects = [...(await s3.objects(BUCKET))].filter(([key]) => key.startsWith('acme/data/'))
        for (const [key, body] of objects) {
          const damaged = Buffer.from(body)
          damaged[damaged.length >> 1] = (damaged[damaged.length >> 1] ?? 0) ^ 0x5a
          await s3.put(BUCKET, key, damaged)
        }
        const problems = await verifyDatabase(restic, 'p1', loginOf('drill2'))
        assert.equal(problems.length, 1)
        assert.match(problems[0] ?? '', /^restore point p1 could not be restored: /)
      })
    },
  )
