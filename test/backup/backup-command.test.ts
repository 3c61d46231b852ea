/**
 * `hostplane backup run|restore|verify` as a process, as a backup Job's container runs it: the
 * repository and the Database from mounted Secret directories, one JSON line as the answer. With
 * real restic, moto's S3 server and a real MariaDB: a volume and a database as one restore point,
 * restored into new places and over the changed live ones (whole, or one path of the volume),
 * verified, and a damaged point refused with exit 1 and its problems. With a real PostgreSQL too:
 * a database load that fails midway, rolled back there and said to be partial on MariaDB.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { DatabaseManifest } from '../../src/backup/database.js'
import type { FileManifest } from '../../src/backup/manifest.js'
import { mountedRepository } from '../../src/backup/mounted-secrets.js'
import { PARTS, type Part, partLabels, partOf } from '../../src/backup/restore-point.js'
import { Restic } from '../../src/backup/restic.js'
import { binaryUnavailable } from '../cluster/paths.js'
import { startTogether } from '../cluster/process.js'
import {
  type DatabaseServerUnderTest,
  databasesUnavailable,
  startMariaDb,
  startPostgres,
} from '../database/servers.js'
import { runHostplane } from '../e2e/cli-process.js'
import { motoUnavailable, type S3UnderTest, startMoto } from './moto.js'
import { mountRepositorySecret, mountSecret } from './mounted-secret.js'

const unavailable =
  (await binaryUnavailable('backup', '/usr/bin/restic', 'restic')) ||
  (await motoUnavailable()) ||
  (await databasesUnavailable())

const BUCKET = 'hostplane-command-backups'

/**
 * Stores the point `to` whose dump is `from`'s with an `x` after `marker` (a damaged row, on
 * which a load fails midway), beside `from`'s sums.
 */
async function storeDamagedDump(restic: Restic, from: string, to: string, marker: string) {
  const dump = (await restic.dump((await partOf(restic, from, PARTS.database)).id, '/dump.sql')).toString()
  assert.ok(dump.includes(marker), marker)
  await restic.backupStdin('dump.sql', dump.replace(marker, `${marker}x`), partLabels(to, PARTS.database))
  const manifest = await partOf(restic, from, PARTS.databaseManifest)
  await restic.backupStdin(
    'database-manifest.json',
    await restic.dump(manifest.id, '/database-manifest.json'),
    partLabels(to, PARTS.databaseManifest),
  )
}

/** Stores `change` of what part `point` recorded (a manifest, one JSON file) in place of it. */
async function rewriteRecord<T>(restic: Restic, point: string, part: Part, change: (record: T) => T) {
  const snapshot = await partOf(restic, point, part)
  const [file = ''] = snapshot.paths
  const record = JSON.parse((await restic.dump(snapshot.id, file)).toString('utf8')) as T
  await restic.forget([snapshot.id])
  await restic.backupStdin(file.replace(/^\//, ''), JSON.stringify(change(record)), partLabels(point, part))
}

describe('hostplane backup as a process', { skip: unavailable }, () => {
  let s3: S3UnderTest
  let mariadb: DatabaseServerUnderTest
  let postgres: DatabaseServerUnderTest
  let work: string
  let repository: string
  const database = (name: string, server = mariadb) =>
    mountSecret(join(work, `secret-${server.engine}-${name}`), {
      engine: server.engine,
      host: server.host,
      port: String(server.port),
      database: name,
      username: 'shop',
      password: 'shop-password-1',
    })
  const backup = (...args: string[]) =>
    runHostplane(['backup', ...args, '--repository', repository, '--cache-dir', join(work, 'cache')])
  /** `backup run` of `volume` and the shop database as point `point`. */
  const backUp = async (point: string, volume: string) =>
    backup('run', '--point', point, '--volume', volume, '--database', await database('shop'))
  /** `backup restore --replace` of point p1 over `dir`. */
  const restoreOver = (dir: string, ...args: string[]) =>
    backup('restore', '--point', 'p1', '--replace', '--volume', dir, ...args)

  before(async () => {
    ;[s3, mariadb, postgres] = await startTogether([startMoto(), startMariaDb(), startPostgres()])
    await s3.createBucket(BUCKET)
    await mariadb.sql("CREATE USER 'shop'@'%' IDENTIFIED BY 'shop-password-1'")
    for (const name of ['shop', 'restored', 'drill'])
      await mariadb.sql(`CREATE DATABASE ${name}; GRANT ALL ON ${name}.* TO 'shop'@'%';`)
    await mariadb.sql(
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO posts VALUES (1, 'Hello'), (2, 'World');",
      { username: 'shop', password: 'shop-password-1', database: 'shop' },
    )
    await postgres.sql("CREATE ROLE shop LOGIN PASSWORD 'shop-password-1'")
    await postgres.sql('CREATE DATABASE shop OWNER shop')
    await postgres.sql(
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT); CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO posts VALUES (1, 'Hello'), (2, 'World'); INSERT INTO tags VALUES (1, 'news'), (2, 'misc');",
      { username: 'shop', password: 'shop-password-1', database: 'shop' },
    )
    work = await mkdtemp(join(tmpdir(), 'hp-backup-command-'))
    await mkdir(join(work, 'volume/uploads'), { recursive: true })
    await writeFile(join(work, 'volume/uploads/a.txt'), 'uploaded\n')
    repository = await mountRepositorySecret(join(work, 'secret-repository'), s3.endpoint, BUCKET, 'acme')
  })

  after(async () => {
    await Promise.all([s3?.stop(), mariadb?.stop(), postgres?.stop()])
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('takes a volume and a database as one restore point, and restores both into new places', async () => {
    const taken = await backUp('p1', join(work, 'volume'))
    assert.equal(taken.code, 0, taken.stderr)
    const answer = JSON.parse(taken.stdout) as {
      point: string
      files: { files: number }
      database: { tables: number; rows: number }
    }
    assert.equal(answer.point, 'p1')
    assert.equal(answer.files.files, 1)
    assert.deepEqual([answer.database.tables, answer.database.rows], [1, 2])
    assert.ok(!taken.stdout.includes('shop-password-1') && !taken.stderr.includes('shop-password-1'))

    const restored = await backup(
      'restore',
      '--point',
      'p1',
      '--volume',
      join(work, 'restored-volume'),
      '--database',
      await database('restored'),
    )
    assert.equal(restored.code, 0, restored.stderr)
    assert.equal(await readFile(join(work, 'restored-volume/uploads/a.txt'), 'utf8'), 'uploaded\n')
    assert.equal(
      await mariadb.sql('SELECT id, title FROM posts ORDER BY id', {
        username: 'shop',
        password: 'shop-password-1',
        database: 'restored',
      }),
      '1\tHello\n2\tWorld\n',
    )
  })

  it('restores over the live volume and database (--replace), or one path of the volume (--path)', async () => {
    const shop = { username: 'shop', password: 'shop-password-1', database: 'shop' }
    const live = join(work, 'volume')
    await writeFile(join(live, 'uploads/a.txt'), 'overwritten\n')
    await writeFile(join(live, 'added.txt'), 'added after the backup\n')
    await mariadb.sql(
      "UPDATE posts SET title = 'Changed' WHERE id = 1; CREATE TABLE later (id INTEGER);",
      shop,
    )
    const replaced = await restoreOver(live, '--database', await database('shop'))
    assert.equal(replaced.code, 0, replaced.stderr)
    assert.deepEqual(JSON.parse(replaced.stdout), {
      point: 'p1',
      restored: {
        files: { dir: live, files: 1, bytes: 9 },
        database: { database: 'shop', tables: 1, rows: 2 },
      },
    })
    assert.deepEqual(await readdir(live), ['uploads'])
    assert.equal(await readFile(join(live, 'uploads/a.txt'), 'utf8'), 'uploaded\n')
    assert.equal(await mariadb.sql('SELECT id, title FROM posts ORDER BY id', shop), '1\tHello\n2\tWorld\n')
    assert.equal(await mariadb.sql('SHOW TABLES', shop), 'posts\n')

    await writeFile(join(live, 'uploads/a.txt'), 'overwritten again\n')
    await writeFile(join(live, 'kept.txt'), 'not part of the path\n')
    const one = await restoreOver(live, '--path', 'uploads/a.txt')
    assert.equal(one.code, 0, one.stderr)
    assert.deepEqual(JSON.parse(one.stdout), {
      point: 'p1',
      restored: { files: { dir: live, path: 'uploads/a.txt', files: 1, bytes: 9 } },
    })
    assert.equal(await readFile(join(live, 'uploads/a.txt'), 'utf8'), 'uploaded\n')
    assert.equal(await readFile(join(live, 'kept.txt'), 'utf8'), 'not part of the path\n')

    const absent = await restoreOver(live, '--path', 'uploads/b.txt')
    assert.deepEqual(
      [absent.code, absent.stderr.trim()],
      [1, 'hostplane backup restore: restore point p1 has no uploads/b.txt in its files'],
    )
  })

  it('a database load that fails midway exits 1: PostgreSQL rolled back, MariaDB perhaps partly restored with the way back', async () => {
    const restic = new Restic(await mountedRepository(repository), { cacheDir: join(work, 'cache') })
    const shop = { username: 'shop', password: 'shop-password-1', database: 'shop' }
    const pg = await database('shop', postgres)
    const taken = await backup('run', '--point', 'pg1', '--database', pg)
    assert.equal(taken.code, 0, taken.stderr)
    // The damaged row is in tags, the second table: posts is loaded by then.
    await storeDamagedDump(restic, 'pg1', 'pg-damaged', 'COPY public.tags (id, name) FROM stdin;\n')
    await postgres.sql(
      "UPDATE posts SET title = 'Changed' WHERE id = 1; CREATE TABLE later (id INTEGER);",
      shop,
    )
    const rolledBack = await backup(
      'restore',
      '--point',
      'pg-damaged',
      '--replace',
      '--database',
      pg,
      '--before',
      'pg-before',
    )
    assert.equal(rolledBack.code, 1, rolledBack.stderr)
    assert.match(
      rolledBack.stderr,
      /^hostplane backup restore: loading the dump of restore point pg-damaged into database shop failed and was rolled back: the database holds what it held before \(restic dump failed \(exit \d+\): .*ERROR: /m,
    )
    assert.equal(await postgres.sql('SELECT id, title FROM posts ORDER BY id', shop), '1|Changed\n2|World\n')
    assert.equal(
      await postgres.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", shop),
      'later\nposts\ntags\n',
    )

    await storeDamagedDump(restic, 'p1', 'p-damaged', 'INSERT INTO `posts` VALUES')
    await mariadb.sql("UPDATE posts SET title = 'Changed' WHERE id = 1", shop)
    const answerFile = join(work, 'answer-damaged')
    const partly = await backup(
      'restore',
      '--point',
      'p-damaged',
      '--replace',
      '--database',
      await database('shop'),
      '--before',
      'p-before',
      '--answer-file',
      answerFile,
    )
    assert.equal(partly.code, 1, partly.stderr)
    const said =
      'loading the dump of restore point p-damaged into database shop failed, so it may be partly restored (MariaDB cannot roll back tables): restore it again, or restore point p-before to go back to what it held before ('
    assert.ok(partly.stderr.startsWith(`hostplane backup restore: ${said}`), partly.stderr)
    const { error } = JSON.parse(await readFile(answerFile, 'utf8')) as { error: string }
    assert.ok(error.startsWith(said), error)
    assert.equal(await mariadb.sql('SELECT COUNT(*) FROM posts', shop), '0\n')

    // Restoring again brings the database back (and the shop as the next tests expect it).
    const again = await backup('restore', '--point', 'p1', '--replace', '--database', await database('shop'))
    assert.equal(again.code, 0, again.stderr)
    assert.equal(await mariadb.sql('SELECT id, title FROM posts ORDER BY id', shop), '1\tHello\n2\tWorld\n')
  })

  it('restores a point that does not hold what it recorded, and answers the differences with exit 1', async () => {
    await mkdir(join(work, 'volume-lost/uploads'), { recursive: true })
    await writeFile(join(work, 'volume-lost/uploads/a.txt'), 'uploaded\n')
    const taken = await backUp('p-lost', join(work, 'volume-lost'))
    assert.equal(taken.code, 0, taken.stderr)
    // As if the backup had lost a file and a row: what restic holds no longer matches the records.
    const restic = new Restic(await mountedRepository(repository), { cacheDir: join(work, 'cache') })
    await rewriteRecord<FileManifest>(restic, 'p-lost', PARTS.filesManifest, (manifest) => ({
      entries: [
        ...manifest.entries,
        { path: 'uploads/lost.txt', type: 'file', mode: 0o644, size: 5, sha256: '0'.repeat(64) },
      ],
      files: manifest.files + 1,
      bytes: manifest.bytes + 5,
    }))
    await rewriteRecord<DatabaseManifest>(restic, 'p-lost', PARTS.databaseManifest, (manifest) => ({
      ...manifest,
      tables: manifest.tables.map((table) => ({ ...table, rows: table.rows + 1 })),
    }))
    await mkdir(join(work, 'restored-lost'))
    const answerFile = join(work, 'answer-lost')
    const lost = await backup(
      'restore',
      '--point',
      'p-lost',
      '--volume',
      join(work, 'restored-lost'),
      '--replace',
      '--database',
      await database('restored'),
      '--answer-file',
      answerFile,
    )
    assert.equal(lost.code, 1, lost.stderr)
    const answer = {
      point: 'p-lost',
      restored: {
        files: { dir: join(work, 'restored-lost'), files: 1, bytes: 9 },
        database: { database: 'restored', tables: 1, rows: 2 },
      },
      problems: [
        `uploads/lost.txt: missing (was a file of 5 bytes, sha256 000000000000…, mode 644)`,
        'table posts: 2 rows, was 3',
      ],
    }
    assert.deepEqual(JSON.parse(lost.stdout), answer)
    assert.deepEqual(JSON.parse(await readFile(answerFile, 'utf8')), answer)
    assert.equal(await readFile(join(work, 'restored-lost/uploads/a.txt'), 'utf8'), 'uploaded\n')
  })

  it('refuses a --path outside the volume, and one without --volume', async () => {
    for (const [path, said] of [
      ['/etc/passwd', /\/etc\/passwd is absolute: give a path in the volume/],
      ['uploads/../../etc', /is not a plain path in the volume/],
      ['', /an empty path names no file in the volume/],
    ] as const) {
      const refused = await restoreOver(work, '--path', path)
      assert.equal(refused.code, 2, path)
      assert.match(refused.stderr, /--path/)
      assert.match(refused.stderr, said)
    }
    const alone = await backup(
      'restore',
      '--point',
      'p1',
      '--path',
      'uploads',
      '--database',
      await database('drill'),
    )
    assert.equal(alone.code, 2)
    assert.match(alone.stderr, /--path names a path of the volume: give --volume too/)
  })

  it('verifies a restore point, and refuses a damaged one with exit 1 and what is wrong', async () => {
    const verified = await backup(
      'verify',
      '--point',
      'p1',
      '--volume',
      join(work, 'drill-volume'),
      '--database',
      await database('drill'),
    )
    assert.equal(verified.code, 0, verified.stderr)
    assert.deepEqual(JSON.parse(verified.stdout), { point: 'p1', verified: true, problems: [] })

    for (const [key, body] of await s3.objects(BUCKET))
      if (key.startsWith('acme/data/'))
        await s3.put(BUCKET, key, Buffer.concat([body.subarray(0, 40), randomBytes(body.length - 40)]))
    const damaged = await backup('verify', '--point', 'p1', '--volume', join(work, 'drill-volume-2'))
    assert.equal(damaged.code, 1)
    const said = JSON.parse(damaged.stdout) as { verified: boolean; problems: string[] }
    assert.equal(said.verified, false)
    assert.match(said.problems[0] ?? '', /^restore point p1 could not be restored: /)
  })

  it('says what is missing: nothing to back up, a repository Secret without a key, a bad point id', async () => {
    const nothing = await backup('run', '--point', 'p2')
    assert.deepEqual(
      [nothing.code, nothing.stderr.trim()],
      [1, 'hostplane backup run: nothing to back up: give --volume, --database or both'],
    )
    const broken = await mountSecret(join(work, 'secret-broken'), { repository: 's3:http://127.0.0.1:1/x/y' })
    const missing = await runHostplane([
      'backup',
      'run',
      '--point',
      'p2',
      '--volume',
      work,
      '--repository',
      broken,
    ])
    assert.equal(missing.code, 1)
    assert.match(
      missing.stderr,
      /^hostplane backup run: the repository Secret .*secret-broken: no key password \(missing\)$/m,
    )
    const bad = await backup('run', '--point', 'P,2', '--volume', work)
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /P,2 is not a restore point id/)
  })
})
