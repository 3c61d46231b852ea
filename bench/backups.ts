/**
 * Backup benchmark with real restic, moto's S3 server and a real MariaDB this script starts: a
 * volume of 1 GiB in 10,000 files and a 100 MB database, backed up as one restore point by the
 * real `hostplane backup run` process (node build/src/cli/main.js, its defaults), restored into
 * new places (`hostplane backup restore`), verified (`hostplane backup verify`), then backed up
 * again after 1% of the files and rows changed. Side by side in the same run: plain restic and
 * mariadb-dump doing the same steps, so the manifest's and the sums' cost is visible.
 *
 * A third backup, after another 1% changed, runs both sides as a backup Job's Pod would: a new
 * hostname and an empty restic cache, so restic finds no parent snapshot of its own host and
 * reads every file again (it still stores only what changed).
 *
 * Each step runs under GNU time (wall and CPU seconds of the whole process tree); the hostplane
 * process's peak RSS is read from /proc while it runs, restic's from a `restic` early in PATH
 * that runs the real one under GNU time. The bucket is listed after each step.
 *
 *   npx tsx bench/backups.ts [--files 10000] [--file-kib 105] [--rows 100000]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { databaseSums } from '../src/backup/database.js'
import { fileManifest } from '../src/backup/manifest.js'
import { S3Client } from '../src/backup/s3-client.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow, sleep } from '../test/cluster/process.js'
import { startMariaDb } from '../test/database/servers.js'
import { S3_TEST_CREDENTIALS, startMoto } from '../test/backup/moto.js'
import { BUILT_CLI } from '../test/e2e/cli-process.js'

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
const STEP_TIMEOUT_MS = 3_600_000
/** About 1 KiB of hex per row: random, so a dump compresses as text does, not as repeats do. */
const BODY = `CONCAT(${Array.from({ length: 16 }, () => 'SHA2(RAND(), 256)').join(', ')})`

interface Measured {
  readonly seconds: number
  /** User + system seconds of the process and every child it waited for. */
  readonly cpuSeconds: number
  readonly stdout: string
  /** Peak RSS (VmHWM) of the node process, when there is one. */
  readonly nodePeakMiB?: number
  /** The largest peak RSS of the restic processes the step ran. */
  readonly resticPeakMiB: number
}

const childrenOf = async (pid: number): Promise<number[]> => {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[])
  const lists = await Promise.all(
    tasks.map((task) => readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')),
  )
  return lists.flatMap((list) => list.split(' ').filter(Boolean).map(Number))
}

const status = (pid: number) => readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')

/** Reads the peak RSS of the `node` child of `child` until `child` exits. */
async function watchNodePeak(child: ChildProcess, exited: Promise<unknown>): Promise<number> {
  let node: number | undefined
  let peakKiB = 0
  let running = true
  void exited.then(() => (running = false))
  while (running) {
    if (node === undefined)
      for (const pid of await childrenOf(child.pid ?? 0))
        if (/^Name:\s+node$/m.test(await status(pid))) node = pid
    if (node !== undefined)
      peakKiB = Math.max(peakKiB, Number(/VmHWM:\s+(\d+) kB/.exec(await status(node))?.[1] ?? 0))
    await sleep(100)
  }
  return peakKiB / 1024
}

async function main(): Promise<void> {
  const log = (line: string) => console.error(`[bench] ${line}`)
  await runOrThrow('npm', ['run', 'build'], { cwd: REPO_ROOT })
  const [s3, mariadb] = await Promise.all([startMoto(), startMariaDb()])
  const work = await mkdtemp(join(tmpdir(), 'hp-bench-backup-'))
  try {
    await s3.createBucket(BUCKET)
    const bucket = new S3Client({
      endpoint: new URL(s3.endpoint),
      bucket: BUCKET,
      credentials: {
        accessKeyId: S3_TEST_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: S3_TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
        region: S3_TEST_CREDENTIALS.AWS_DEFAULT_REGION,
      },
    })
    const bucketBytes = async (prefix: string) =>
      (await bucket.list(prefix)).reduce((sum, object) => sum + object.size, 0)

    // Every restic call of both sides goes through this one: the real restic under GNU time.
    const bin = join(work, 'bin')
    const resticLog = join(work, 'restic-rss.log')
    const { stdout: resticPath } = await runOrThrow('sh', ['-c', 'command -v restic'])
    await mkdir(bin)
    await writeFile(
      join(bin, 'restic'),
      `#!/bin/sh\nexec /usr/bin/time -a -o '${resticLog}' -f '%M' '${resticPath.trim()}' "$@"\n`,
    )
    await chmod(join(bin, 'restic'), 0o755)
    const PATH = `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`

    const timeFile = join(work, 'time.out')
    /** Runs `argv` to its end under GNU time, with hostname `hostname` when given. */
    const measure = async (
      argv: readonly string[],
      env: NodeJS.ProcessEnv,
      { hostname, node = false }: { hostname?: string; node?: boolean } = {},
    ): Promise<Measured> => {
      await writeFile(resticLog, '')
      const timed = ['/usr/bin/time', '-f', '%e %U %S', '-o', timeFile, ...argv]
      const [command = '', ...args] = hostname
        ? ['unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', hostname, ...timed]
        : timed
      const child = spawn(command, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)))
      const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS)
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
      const [code, nodePeakMiB] = await Promise.all([exited, node ? watchNodePeak(child, exited) : undefined])
      clearTimeout(timer)
      if (code !== 0) throw new Error(`${argv.join(' ')} exited with ${code}:\n${stderr}${stdout}`)
      // A command that exited 0 leaves GNU time's one line of figures, nothing else.
      const [seconds = 0, user = 0, system = 0] = (await readFile(timeFile, 'utf8'))
        .trim()
        .split(' ')
        .map(Number)
      // A restic that failed on purpose (`cat config` before `init`) adds a line of its own.
      const resticKiB = (await readFile(resticLog, 'utf8'))
        .split('\n')
        .filter((line) => /^\d+$/.test(line))
        .map(Number)
      return {
        seconds,
        cpuSeconds: user + system,
        stdout,
        nodePeakMiB,
        resticPeakMiB: Math.max(0, ...resticKiB) / 1024,
      }
    }

    log(`writing ${FILES} files of ${FILE_BYTES} bytes`)
    const volume = join(work, 'volume')
    for (let i = 0; i < FILES; i++) {
      const dir = join(volume, `d${i % 100}`)
      if (i < 100) await mkdir(dir, { recursive: true })
      await writeFile(join(dir, `f${i}.bin`), randomBytes(FILE_BYTES))
    }
    const changeFiles = async (offset: number) => {
      for (let i = offset; i < FILES; i += 100)
        await writeFile(join(volume, `d${i % 100}`, `f${i}.bin`), randomBytes(FILE_BYTES))
    }

    log(`writing ${ROWS} rows of about 1 KiB`)
    await mariadb.sql("CREATE USER 'shop'@'%' IDENTIFIED BY 'shop-pw'")
    for (const name of ['shop', 'restored', 'drill', 'plain_restored'])
      await mariadb.sql(`CREATE DATABASE ${name}; GRANT ALL ON ${name}.* TO 'shop'@'%';`)
    const shop = { username: 'shop', password: 'shop-pw', database: 'shop' }
    await mariadb.sql('CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)', shop)
    // In batches: each statement stays well inside the client's 30 s on a busy machine.
    for (let first = 1; first <= ROWS; first += 10_000)
      await mariadb.sql(
        `INSERT INTO posts SELECT seq, ${BODY} FROM seq_${first}_to_${Math.min(ROWS, first + 9_999)}`,
        shop,
      )
    const changeRows = (remainder: number) =>
      mariadb.sql(`UPDATE posts SET body = ${BODY} WHERE id % 100 = ${remainder}`, shop)
    const countRows = async (database: string) =>
      Number(await mariadb.sql('SELECT COUNT(*) FROM posts', { ...shop, database }))

    const secret = async (name: string, data: Record<string, string>) => {
      const dir = join(work, 'secrets', name)
      await mkdir(dir, { recursive: true })
      for (const [key, value] of Object.entries(data)) await writeFile(join(dir, key), value)
      return dir
    }
    const database = (name: string) =>
      secret(`db-${name}`, {
        engine: 'MariaDB',
        host: mariadb.host,
        port: String(mariadb.port),
        database: name,
        username: 'shop',
        password: 'shop-pw',
      })
    const ours = await secret('repository', {
      repository: `s3:${s3.endpoint}/${BUCKET}/ours`,
      password: 'bench-password-ours',
      'access-key-id': S3_TEST_CREDENTIALS.AWS_ACCESS_KEY_ID,
      'secret-access-key': S3_TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    })
    const db = await database('shop')

    /** `hostplane backup <step> --point <point> …` as a Job's container runs it; its JSON answer. */
    const hostplane = async (
      step: 'run' | 'restore' | 'verify',
      point: string,
      volumeDir: string,
      databaseSecret: string,
      cache: string,
      hostname?: string,
    ) => {
      const measured = await measure(
        [
          process.execPath,
          BUILT_CLI,
          'backup',
          step,
          '--point',
          point,
          '--volume',
          volumeDir,
          '--database',
          databaseSecret,
          '--repository',
          ours,
          '--cache-dir',
          join(work, cache),
        ],
        { PATH },
        { hostname, node: true },
      )
      return { ...measured, answer: JSON.parse(measured.stdout) as HostplaneAnswer }
    }

    /** Plain restic and mariadb-dump, as an admin's script runs them: one bash script per step. */
    const plain = (script: string, cache: string, hostname?: string) =>
      measure(
        ['bash', '-c', `set -euo pipefail; ${script}`],
        {
          PATH,
          HOME: join(work, cache),
          RESTIC_REPOSITORY: `s3:${s3.endpoint}/${BUCKET}/plain`,
          RESTIC_PASSWORD: 'bench-password-plain',
          RESTIC_CACHE_DIR: join(work, cache),
          MYSQL_PWD: 'shop-pw',
          ...S3_TEST_CREDENTIALS,
        },
        { hostname },
      )
    const login = `--no-defaults --host=${mariadb.host} --port=${mariadb.port} --user=shop`
    const plainBackup = async (
      cache: string,
      { init = false, hostname }: { init?: boolean; hostname?: string } = {},
    ) => {
      const measured = await plain(
        `${init ? 'restic init' : ''}
         restic backup --json --tag plain '${volume}'
         mariadb-dump ${login} --single-transaction shop | restic backup --json --tag plain --stdin --stdin-filename dump.sql`,
        cache,
        hostname,
      )
      const [files, dump] = measured.stdout
        .split('\n')
        .filter((line) => line.includes('"message_type":"summary"'))
        .map((line) => JSON.parse(line) as ResticSummary)
      if (!files || !dump) throw new Error(`restic printed no summaries:\n${measured.stdout}`)
      // Whether restic found a parent: without one every file is new and read again.
      notes.push(
        `plain restic's files snapshot ${files.snapshot_id.slice(0, 8)}: ${files.files_new} new, ${files.files_changed} changed, ${files.files_unmodified} unmodified`,
      )
      return { ...measured, added: files.data_added + dump.data_added, files, dump }
    }

    const table: Step[] = []
    const notes: string[] = []
    const record = async (
      name: string,
      hostplaneSide: Measured & { added?: number },
      plainSide: Measured & { added?: number },
    ) => {
      table.push({
        name,
        ours: { ...hostplaneSide, bucket: await bucketBytes('ours/') },
        plain: { ...plainSide, bucket: await bucketBytes('plain/') },
      })
    }

    log('first backups')
    const first = await hostplane('run', 'p1', volume, db, 'cache-ours')
    // `hostplane backup run` creates the repository the first time: so does this side.
    const plainFirst = await plainBackup('cache-plain', { init: true })
    await record('first backup', { ...first, added: added(first.answer) }, plainFirst)

    log('restore into new places')
    const restore = await hostplane(
      'restore',
      'p1',
      join(work, 'restored'),
      await database('restored'),
      'cache-ours',
    )
    const plainRestore = await plain(
      `restic restore ${plainFirst.files.snapshot_id} --target '${join(work, 'plain-restored')}'
       restic dump ${plainFirst.dump.snapshot_id} /dump.sql | mariadb ${login} plain_restored`,
      'cache-plain',
    )
    for (const name of ['restored', 'plain_restored'])
      if ((await countRows(name)) !== ROWS) throw new Error(`${name} does not hold ${ROWS} rows`)
    await record('restore (files into a new directory, dump into a new database)', restore, plainRestore)
    await rm(join(work, 'restored'), { recursive: true })
    await rm(join(work, 'plain-restored'), { recursive: true })

    log('verify')
    const verify = await hostplane('verify', 'p1', join(work, 'drill'), await database('drill'), 'cache-ours')
    if (!verify.answer.verified) throw new Error(`p1 did not verify: ${verify.stdout}`)
    const plainCheck = await plain('restic check --read-data', 'cache-plain')
    await record(
      'verify (hostplane: restore + compare; plain: `restic check --read-data`)',
      verify,
      plainCheck,
    )

    log('changing 1% of the files and rows; second backups')
    await changeFiles(0)
    await changeRows(0)
    const second = await hostplane('run', 'p2', volume, db, 'cache-ours')
    const plainSecond = await plainBackup('cache-plain')
    await record(
      'second backup, 1% changed (same host, warm cache)',
      { ...second, added: added(second.answer) },
      plainSecond,
    )

    log('changing another 1%; third backups with a new hostname and an empty cache, as in a Job Pod')
    await changeFiles(1)
    await changeRows(1)
    const third = await hostplane('run', 'p3', volume, db, 'cache-job', 'backup-job-p3')
    const plainThird = await plainBackup('cache-plain-job', { hostname: 'backup-job-plain' })
    await record(
      'third backup, another 1% (new hostname, empty cache)',
      { ...third, added: added(third.answer) },
      plainThird,
    )

    // What hostplane adds to a backup, each alone in this process: the manifest hashes every file,
    // and on MariaDB the sums are taken before and after the dump.
    const timed = async (task: () => Promise<unknown>) => {
      const started = performance.now()
      await task()
      return ((performance.now() - started) / 1000).toFixed(1)
    }
    notes.push(
      `file manifest of the volume (SHA-256 of every file) alone: ${await timed(() => fileManifest(volume))} s`,
    )
    notes.push(
      `table sums (COUNT(*) + CHECKSUM TABLE … EXTENDED) alone, once: ${await timed(() => databaseSums({ engine: 'MariaDB', host: mariadb.host, port: mariadb.port, ...shop }))} s`,
    )

    const { stdout: config } = await runOrThrow('restic', ['cat', 'config'], {
      env: {
        PATH: process.env.PATH,
        RESTIC_REPOSITORY: `s3:${s3.endpoint}/${BUCKET}/ours`,
        RESTIC_PASSWORD: 'bench-password-ours',
        RESTIC_CACHE_DIR: join(work, 'cache-ours'),
        ...S3_TEST_CREDENTIALS,
      },
    })
    print(table, JSON.parse(config) as { version: number })
    console.log('')
    for (const note of notes) console.log(note)
  } finally {
    await Promise.all([s3.stop(), mariadb.stop()])
    await rm(work, { recursive: true, force: true })
  }
}

interface ResticSummary {
  readonly snapshot_id: string
  readonly data_added: number
  readonly files_new: number
  readonly files_changed: number
  readonly files_unmodified: number
}

interface HostplaneAnswer {
  readonly files?: { readonly added: number }
  readonly database?: { readonly added: number }
  readonly verified?: boolean
}

const added = (answer: HostplaneAnswer) => (answer.files?.added ?? 0) + (answer.database?.added ?? 0)

interface Side extends Measured {
  /** restic's `data_added` (before compression), for a backup. */
  readonly added?: number
  /** The bucket's bytes under the side's repository after the step. */
  readonly bucket: number
}

interface Step {
  readonly name: string
  readonly ours: Side
  readonly plain: Side
}

function print(steps: readonly Step[], config: { version: number }): void {
  const mib = (bytes: number) => (bytes / MiB).toFixed(1)
  const peak = (side: Side) =>
    [
      side.nodePeakMiB === undefined ? '' : `node ${side.nodePeakMiB.toFixed(0)}`,
      `restic ${side.resticPeakMiB.toFixed(0)}`,
    ]
      .filter(Boolean)
      .join(' / ')
  console.log(`date: ${new Date().toISOString()}`)
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  )
  console.log(
    `volume: ${FILES} files, ${((FILES * FILE_BYTES) / MiB).toFixed(0)} MiB; database: ${ROWS} rows; restic repository format v${config.version}`,
  )
  console.log('')
  console.log(
    '| step | hostplane wall (s) | hostplane CPU (s) | hostplane peak RSS (MiB) | plain wall (s) | plain CPU (s) | plain peak RSS (MiB) |',
  )
  console.log('| --- | ---: | ---: | --- | ---: | ---: | --- |')
  for (const { name, ours, plain } of steps)
    console.log(
      `| ${name} | ${ours.seconds.toFixed(1)} | ${ours.cpuSeconds.toFixed(1)} | ${peak(ours)} | ${plain.seconds.toFixed(1)} | ${plain.cpuSeconds.toFixed(1)} | ${peak(plain)} |`,
    )
  console.log('')
  console.log(
    '| step | hostplane: restic data_added (MiB) | bucket grew (MiB) | bucket total (MiB) | plain: restic data_added (MiB) | bucket grew (MiB) | bucket total (MiB) |',
  )
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
  let before = { ours: 0, plain: 0 }
  for (const { name, ours, plain } of steps) {
    console.log(
      `| ${name} | ${ours.added === undefined ? '' : mib(ours.added)} | ${mib(ours.bucket - before.ours)} | ${mib(ours.bucket)} | ${plain.added === undefined ? '' : mib(plain.added)} | ${mib(plain.bucket - before.plain)} | ${mib(plain.bucket)} |`,
    )
    before = { ours: ours.bucket, plain: plain.bucket }
  }
}

await main()
