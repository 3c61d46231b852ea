/**
 * `hostplane backup run|restore|verify` as a process, as a backup Job's container runs it: the
 * repository and the Database from mounted Secret directories, one JSON line as the answer. With
 * real restic, moto's S3 server and a real MariaDB: a volume and a database as one restore point,
 * restored into new places, verified, and a damaged point refused with exit 1 and its problems.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { binaryUnavailable } from '../cluster/paths.js'
import { type DatabaseServerUnderTest, databasesUnavailable, startMariaDb } from '../database/servers.js'
import { runHostplane } from '../e2e/cli-process.js'
import { motoUnavailable, type S3UnderTest, startMoto } from './moto.js'
import { mountRepositorySecret, mountSecret } from './mounted-secret.js'

const unavailable =
  (await binaryUnavailable('backup', '/usr/bin/restic', 'restic')) ||
  (await motoUnavailable()) ||
  (await databasesUnavailable())

const BUCKET = 'hostplane-command-backups'

describe('hostplane backup as a process', { skip: unavailable }, () => {
  let s3: S3UnderTest
  let mariadb: DatabaseServerUnderTest
  let work: string
  let repository: string
  const database = (name: string) =>
    mountSecret(join(work, `secret-${name}`), {
      engine: 'MariaDB',
      host: mariadb.host,
      port: String(mariadb.port),
      database: name,
      username: 'shop',
      password: 'shop-password-1',
    })
  const backup = (...args: string[]) =>
    runHostplane(['backup', ...args, '--repository', repository, '--cache-dir', join(work, 'cache')])

  before(async () => {
    ;[s3, mariadb] = await Promise.all([startMoto(), startMariaDb()])
    await s3.createBucket(BUCKET)
    await mariadb.sql("CREATE USER 'shop'@'%' IDENTIFIED BY 'shop-password-1'")
    for (const name of ['shop', 'restored', 'drill'])
      await mariadb.sql(`CREATE DATABASE ${name}; GRANT ALL ON ${name}.* TO 'shop'@'%';`)
    await mariadb.sql(
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO posts VALUES (1, 'Hello'), (2, 'World');",
      { username: 'shop', password: 'shop-password-1', database: 'shop' },
    )
    work = await mkdtemp(join(tmpdir(), 'hp-backup-command-'))
    await mkdir(join(work, 'volume/uploads'), { recursive: true })
    await writeFile(join(work, 'volume/uploads/a.txt'), 'uploaded\n')
    repository = await mountRepositorySecret(join(work, 'secret-repository'), s3.endpoint, BUCKET, 'acme')
  })

  after(async () => {
    await Promise.all([s3?.stop(), mariadb?.stop()])
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('takes a volume and a database as one restore point, and restores both into new places', async () => {
    const taken = await backup(
      'run',
      '--point',
      'p1',
      '--volume',
      join(work, 'volume'),
      '--database',
      await database('shop'),
    )
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
