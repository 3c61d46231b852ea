/**
 * Backup benchmark with real restic, moto's S3 server and a real MariaDB this script starts: a
 * volume of 1 GiB in 10,000 files and a 100 MB database, backed up as one restore point by the
 * real `hostplane backup run` process (node build/src/cli/main.js, its defaults), restored into
 * new places (`hostplane backup restore`), verified (`hostplane backup verify`), then backed up
 * again after 1% of the files and rows changed. Side by side in the same run: plain restic and
 * mariadb-dump doing the same two backups, so the manifest's and the sums' cost is visible.
 *
 *   npx tsx bench/backups.ts [--files 10000] [--file-kib 105] [--rows 100000]
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Restic } from '../src/backup/restic.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow } from '../test/cluster/process.js'
import { startMariaDb } from '../test/database/servers.js'
import { S3_TEST_CREDENTIALS, startMoto } from '../test/backup/moto.js'
import { runProcess } from '../test/e2e/cli-process.js'

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    'file-kib': { type: 'string', default: '105' },
    rows: { type: 'string', default: '100000' },
  },
})
const FILES = Number(values.files)
const FILE_BYTES = Number(values['file-kib']) * 1024
const ROWS = Number(values.rows)
const BUCKET = 'bench-backups'
const MiB = 1024 ** 2

async function main(): Promise<void> {
  const log = (line: string) => console.error(`[bench] ${line}`)
  await runOrThrow('npm', ['run', 'build'], { cwd: REPO_ROOT })
  const [s3, mariadb] = await Promise.all([startMoto(), startMariaDb()])
  const work = await mkdtemp(join(tmpdir(), 'hp-bench-backup-'))
  try {
    await s3.createBucket(BUCKET)
    log(`writing ${FILES} files of ${FILE_BYTES} bytes`)
    const volume = join(work, 'volume')
    for (let i = 0; i < FILES; i++) {
      const dir = join(volume, `d${i % 100}`)
      if (i < 100) await mkdir(dir, { recursive: true })
      await writeFile(join(dir, `f${i}.bin`), randomBytes(FILE_BYTES))
    }
    log(`writing ${ROWS} rows of about 1 KiB`)
    await mariadb.sql("CREATE USER 'shop'@'%' IDENTIFIED BY 'shop-pw'")
    for (const name of ['shop', 'restored', 'drill'])
      await mariadb.sql(`CREATE DATABASE ${name}; GRANT ALL ON ${name}.* TO 'shop'@'%';`)
    const shop = { username: 'shop', password: 'shop-pw', database: 'shop' }
    await mariadb.sql('CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)', shop)
    await mariadb.sql(
      `INSERT INTO posts SELECT seq, REPEAT(SHA2(RAND(), 256), 16) FROM seq_1_to_${ROWS}`,
      shop,
    )

    const secret = async (name: string, data: Record<string, string>) => {
      const dir = join(work, name)
      await mkdir(dir, { recursive: true })
      for (const [key, value] of Object.entries(data)) await writeFile(join(dir, key), value)
      return dir
    }
    const repository = (customer: string, password: string) => ({
      repository: `s3:${s3.endpoint}/${BUCKET}/${customer}`,
      password,
      'access-key-id': S3_TEST_CREDENTIALS.AWS_ACCESS_KEY_ID,
      'secret-access-key': S3_TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    })
    const database = (name: string) =>
      secret(`db-${name}`, {
        engine: 'MariaDB',
        host: mariadb.host,
        port: String(mariadb.port),
        database: name,
        username: 'shop',
        password: 'shop-pw',
      })
    const ours = await secret('repo-ours', repository('ours', 'bench-password-ours'))
    const hostplane = async (...args: string[]) => {
      const started = performance.now()
      const outcome = await runProcess(
        [
          process.execPath,
          join(REPO_ROOT, 'build/src/cli/main.js'),
          'backup',
          ...args,
          '--repository',
          ours,
          '--cache-dir',
          join(work, 'cache-ours'),
        ],
        { env: { PATH: process.env.PATH ?? '' }, timeoutMs: 3_600_000 },
      )
      if (outcome.code !== 0)
        throw new Error(`hostplane backup ${args[0]}: ${outcome.stderr}${outcome.stdout}`)
      return {
        seconds: (performance.now() - started) / 1000,
        answer: JSON.parse(outcome.stdout) as Record<string, { added?: number }>,
      }
    }
    const plain = new Restic(
      {
        url: `s3:${s3.endpoint}/${BUCKET}/plain`,
        password: 'bench-password-plain',
        env: S3_TEST_CREDENTIALS,
      },
      { cacheDir: join(work, 'cache-plain') },
    )
    await plain.ensureRepository()
    const plainBackup = async () => {
      const started = performance.now()
      const files = await plain.backupDirectory(volume, ['plain'])
      const dump = await plain.backupOutputOf(
        {
          program: 'mariadb-dump',
          args: [
            '--no-defaults',
            `--host=${mariadb.host}`,
            `--port=${mariadb.port}`,
            '--user=shop',
            '--single-transaction',
            'shop',
          ],
          env: { MYSQL_PWD: 'shop-pw' },
        },
        'dump.sql',
        ['plain'],
      )
      return { seconds: (performance.now() - started) / 1000, added: files.data_added + dump.data_added }
    }

    const rows: string[][] = []
    const added = (answer: Record<string, { added?: number }>) =>
      (answer.files?.added ?? 0) + (answer.database?.added ?? 0)
    const db = await database('shop')
    log('first backups')
    const first = await hostplane('run', '--point', 'p1', '--volume', volume, '--database', db)
    const plainFirst = await plainBackup()
    rows.push([
      'first backup',
      first.seconds.toFixed(1),
      (added(first.answer) / MiB).toFixed(1),
      plainFirst.seconds.toFixed(1),
      (plainFirst.added / MiB).toFixed(1),
    ])
    log('restore and verify')
    const restore = await hostplane(
      'restore',
      '--point',
      'p1',
      '--volume',
      join(work, 'restored'),
      '--database',
      await database('restored'),
    )
    rows.push(['restore into new places', restore.seconds.toFixed(1), '', '', ''])
    const verify = await hostplane(
      'verify',
      '--point',
      'p1',
      '--volume',
      join(work, 'drill'),
      '--database',
      await database('drill'),
    )
    rows.push(['verify (restore + compare)', verify.seconds.toFixed(1), '', '', ''])
    log('changing 1% of the files and rows')
    for (let i = 0; i < FILES; i += 100)
      await writeFile(join(volume, `d${i % 100}`, `f${i}.bin`), randomBytes(FILE_BYTES))
    await mariadb.sql(`UPDATE posts SET body = REPEAT(SHA2(RAND(), 256), 16) WHERE id % 100 = 0`, shop)
    const second = await hostplane('run', '--point', 'p2', '--volume', volume, '--database', db)
    const plainSecond = await plainBackup()
    rows.push([
      'second backup (1% changed)',
      second.seconds.toFixed(1),
      (added(second.answer) / MiB).toFixed(1),
      plainSecond.seconds.toFixed(1),
      (plainSecond.added / MiB).toFixed(1),
    ])

    console.log(
      `volume: ${FILES} files, ${((FILES * FILE_BYTES) / MiB).toFixed(0)} MiB; database: ${ROWS} rows`,
    )
    console.log(
      '| step | hostplane backup (s) | added (MiB) | plain restic + mariadb-dump (s) | added (MiB) |',
    )
    console.log('| --- | ---: | ---: | ---: | ---: |')
    for (const row of rows) console.log(`| ${row.join(' | ')} |`)
  } finally {
    await Promise.all([s3.stop(), mariadb.stop()])
    await rm(work, { recursive: true, force: true })
  }
}

await main()
