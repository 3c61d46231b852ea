/**
 * A volume's backups with real restic against a real S3-compatible server (moto): restored into
 * a new place byte for byte, restored over a changed live volume (whole, or one file or directory
 * of it) byte for byte, the second backup adding only what changed, the bucket never holding
 * a byte of the files in the clear, and the verification finding a damaged, emptied or empty
 * backup; one customer's repository does not open with another's password.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  chmod,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { backupFiles, restoreFiles, verifyFiles, volumePathProblem } from '../../src/backup/files.js'
import { fileManifest, manifestDifferences } from '../../src/backup/manifest.js'
import { Restic, ResticError } from '../../src/backup/restic.js'
import { binaryUnavailable } from '../cluster/paths.js'
import { motoUnavailable, S3_TEST_CREDENTIALS, type S3UnderTest, startMoto } from './moto.js'

const unavailable =
  (await binaryUnavailable('backup', '/usr/bin/restic', 'restic')) || (await motoUnavailable())

const BUCKET = 'hostplane-backups'
/** Words that must never appear in the bucket: they are only in the backed-up files. */
const PLAINTEXT = 'PLAINTEXT-MARKER-hostplane-7f3a'

describe('a volume’s backups with restic on an S3-compatible server', { skip: unavailable }, () => {
  let s3: S3UnderTest
  let work: string
  let volume: string
  const resticFor = (customer: string, password: string) =>
    new Restic(
      {
        url: `s3:${s3.endpoint}/${BUCKET}/${customer}`,
        password,
        env: S3_TEST_CREDENTIALS,
      },
      { cacheDir: join(work, `cache-${customer}`), timeoutMs: 120_000 },
    )
  let acme: Restic
  const acmePassword = randomBytes(24).toString('base64url')

  before(async () => {
    s3 = await startMoto()
    await s3.createBucket(BUCKET)
    work = await mkdtemp(join(tmpdir(), 'hp-backup-'))
    volume = join(work, 'volume')
    await mkdir(join(volume, 'wp-content/uploads/2026/12'), { recursive: true })
    await writeFile(join(volume, 'index.html'), `<p>${PLAINTEXT}</p>\n`)
    await writeFile(join(volume, 'empty.txt'), '')
    await writeFile(join(volume, 'wp-content/uploads/2026/12/photo.bin'), randomBytes(3 * 1024 * 1024))
    await writeFile(join(volume, 'secret.env'), `TOKEN=${PLAINTEXT}\n`)
    await chmod(join(volume, 'secret.env'), 0o600)
    await symlink('wp-content/uploads', join(volume, 'uploads'))
    acme = resticFor('acme', acmePassword)
    assert.equal(await acme.ensureRepository(), 'created')
    assert.equal(await acme.ensureRepository(), 'exists')
  })

  after(async () => {
    await s3?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('restores into a new place exactly what was there: contents, modes, links', async () => {
    const backup = await backupFiles(acme, volume, 'p1')
    assert.equal(backup.files, 4)
    assert.ok(backup.added > 3 * 1024 * 1024 * 0.9, `${backup.added} bytes added`)
    const target = join(work, 'restored')
    await restoreFiles(acme, 'p1', target)
    assert.deepEqual(manifestDifferences(await fileManifest(volume), await fileManifest(target)), [])
    assert.deepEqual(
      await readFile(join(target, 'wp-content/uploads/2026/12/photo.bin')),
      await readFile(join(volume, 'wp-content/uploads/2026/12/photo.bin')),
    )
    await assert.rejects(restoreFiles(acme, 'p1', target), /exists: restore into a new directory/)
    assert.deepEqual(await verifyFiles(acme, 'p1', join(work, 'drill-1')), [])
  })

  describe('over a live volume', () => {
    let live: string
    let point: Awaited<ReturnType<typeof fileManifest>>
    const unchangedExcept = (before: typeof point, after: typeof point, path: string) =>
      manifestDifferences(
        { ...before, entries: before.entries.filter((entry) => !entry.path.startsWith(path)) },
        { ...after, entries: after.entries.filter((entry) => !entry.path.startsWith(path)) },
      )

    before(async () => {
      live = join(work, 'live')
      await cp(volume, live, { recursive: true, verbatimSymlinks: true })
      await symlink('../outside', join(live, 'wp-content/dangling'))
      await backupFiles(acme, live, 'live-1')
      point = await fileManifest(live)
    })

    it('replaces its contents with the point’s: added files gone, deleted ones back, links and modes restored', async () => {
      await writeFile(join(live, 'added-since.txt'), 'new\n')
      await mkdir(join(live, 'wp-content/cache/x'), { recursive: true })
      await writeFile(join(live, 'index.html'), '<p>defaced</p>\n')
      await chmod(join(live, 'secret.env'), 0o644)
      await unlink(join(live, 'empty.txt'))
      await rm(join(live, 'wp-content/uploads/2026'), { recursive: true })
      await unlink(join(live, 'uploads'))
      await symlink('/etc', join(live, 'uploads'))
      await writeFile(join(live, '.hostplane-restoring-0123456789ab'), 'a scratch left by a killed restore\n')
      const restored = await restoreFiles(acme, 'live-1', live, { replace: true })
      assert.deepEqual(manifestDifferences(point, await fileManifest(live)), [])
      assert.deepEqual(restored, { dir: live, files: point.files, bytes: point.bytes, problems: [] })
      assert.deepEqual(
        await readFile(join(live, 'wp-content/uploads/2026/12/photo.bin')),
        await readFile(join(volume, 'wp-content/uploads/2026/12/photo.bin')),
      )
      assert.ok(!(await readdir(live)).some((name) => name.startsWith('.hostplane-restoring-')))
    })

    it('replaces one directory, and only it', async () => {
      await writeFile(join(live, 'index.html'), '<p>edited after</p>\n')
      await writeFile(join(live, 'wp-content/uploads/2026/12/photo.bin'), 'overwritten')
      await writeFile(join(live, 'wp-content/uploads/later.txt'), 'uploaded later\n')
      const before = await fileManifest(live)
      const restored = await restoreFiles(acme, 'live-1', live, {
        replace: true,
        path: 'wp-content/uploads/',
      })
      const after = await fileManifest(live)
      assert.deepEqual(restored, {
        dir: live,
        path: 'wp-content/uploads',
        files: 1,
        bytes: 3 * 1024 * 1024,
        problems: [],
      })
      assert.deepEqual(
        manifestDifferences(
          { ...point, entries: point.entries.filter((entry) => entry.path.startsWith('wp-content/uploads')) },
          { ...after, entries: after.entries.filter((entry) => entry.path.startsWith('wp-content/uploads')) },
        ),
        [],
      )
      assert.deepEqual(unchangedExcept(before, after, 'wp-content/uploads'), [])
      assert.equal(await readFile(join(live, 'index.html'), 'utf8'), '<p>edited after</p>\n')
    })

    it('replaces one file, and creates its missing parent directories as they were', async () => {
      await rm(join(live, 'wp-content'), { recursive: true })
      await writeFile(join(live, 'wp-content'), 'a file where the directory was')
      const before = await fileManifest(live)
      const restored = await restoreFiles(acme, 'live-1', live, {
        replace: true,
        path: 'wp-content/uploads/2026/12/photo.bin',
      })
      assert.deepEqual([restored.files, restored.bytes, restored.problems], [1, 3 * 1024 * 1024, []])
      assert.deepEqual(
        await readFile(join(live, 'wp-content/uploads/2026/12/photo.bin')),
        await readFile(join(volume, 'wp-content/uploads/2026/12/photo.bin')),
      )
      const after = await fileManifest(live)
      const chain = (manifest: typeof point) =>
        manifest.entries.filter((entry) => 'wp-content/uploads/2026/12/photo.bin'.startsWith(entry.path))
      assert.deepEqual(
        chain(after).map((entry) => entry.path),
        [
          'wp-content',
          'wp-content/uploads',
          'wp-content/uploads/2026',
          'wp-content/uploads/2026/12',
          'wp-content/uploads/2026/12/photo.bin',
        ],
      )
      assert.deepEqual(chain(after), chain(point))
      assert.deepEqual(unchangedExcept(before, after, 'wp-content'), [])
      await restoreFiles(acme, 'live-1', live, { replace: true, path: 'index.html' })
      assert.equal(
        await readFile(join(live, 'index.html'), 'utf8'),
        await readFile(join(volume, 'index.html'), 'utf8'),
      )
    })

    it('refuses a path the point does not hold, or that leaves the volume, and changes nothing', async () => {
      const before = await fileManifest(live)
      await assert.rejects(
        restoreFiles(acme, 'live-1', live, { replace: true, path: 'wp-content/nothing[1].txt' }),
        /^Error: restore point live-1 has no wp-content\/nothing\[1\]\.txt in its files$/,
      )
      for (const path of ['/etc/passwd', '../live', 'wp-content/../../x', '', 'a//b', './index.html']) {
        assert.ok(volumePathProblem(path), path)
        await assert.rejects(restoreFiles(acme, 'live-1', live, { replace: true, path }))
      }
      assert.deepEqual(manifestDifferences(before, await fileManifest(live)), [])
      await assert.rejects(
        restoreFiles(acme, 'live-1', join(work, 'nowhere'), { replace: true }),
        /is not a directory/,
      )
    })

    it('restores a file whose name is a restic pattern as that name only', async () => {
      const odd = join(work, 'odd')
      await mkdir(join(odd, 'a'), { recursive: true })
      await writeFile(join(odd, 'a/[x]*.txt'), 'literal\n')
      await writeFile(join(odd, 'a/x-anything.txt'), 'not asked for\n')
      await backupFiles(acme, odd, 'odd-1')
      const restored = await restoreFiles(acme, 'odd-1', join(work, 'odd-restored'), { path: 'a/[x]*.txt' })
      assert.deepEqual([restored.files, restored.problems], [1, []])
      assert.deepEqual(await readdir(join(work, 'odd-restored/a')), ['[x]*.txt'])
    })
  })

  it('adds only what changed on the next backup', async () => {
    await writeFile(join(volume, 'new.txt'), 'one new small file\n')
    const backup = await backupFiles(acme, volume, 'p2')
    assert.equal(backup.files, 5)
    assert.ok(backup.added < 64 * 1024, `${backup.added} bytes added for one small file`)
  })

  it('never puts a byte of the files in the bucket in the clear', async () => {
    const objects = await s3.objects(BUCKET)
    assert.ok(objects.size > 0)
    for (const [key, body] of objects) {
      assert.ok(!body.includes(PLAINTEXT), `${key} holds the plaintext`)
      assert.ok(!body.includes('photo.bin') && !body.includes('secret.env'), `${key} holds a file name`)
    }
  })

  it('does not open one customer’s repository with another’s password', async () => {
    const intruder = new Restic(
      {
        url: `s3:${s3.endpoint}/${BUCKET}/acme`,
        password: 'not-acme',
        env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      },
      { cacheDir: join(work, 'cache-intruder'), timeoutMs: 60_000 },
    )
    await assert.rejects(intruder.snapshots(), (error: unknown) => {
      assert.ok(error instanceof ResticError)
      assert.match(error.message, /wrong password|no key found/)
      return true
    })
  })

  it('finds a backup that holds no files', async () => {
    const empty = join(work, 'empty-volume')
    await mkdir(join(empty, 'only-a-directory'), { recursive: true })
    await backupFiles(acme, empty, 'p-empty')
    assert.deepEqual(await verifyFiles(acme, 'p-empty', join(work, 'drill-empty')), [
      'restore point p-empty holds no files',
    ])
  })

  it('finds a damaged backup and an emptied one', async () => {
    const dedicated = resticFor('damaged', acmePassword)
    await dedicated.ensureRepository()
    await backupFiles(dedicated, volume, 'p3')
    const data = [...(await s3.objects(BUCKET)).entries()].filter(([key]) => key.startsWith('damaged/data/'))
    const [biggest] = data.sort(([, a], [, b]) => b.length - a.length)
    assert.ok(biggest)
    const [key, body] = biggest
    const flipped = Buffer.from(body)
    flipped[Math.floor(flipped.length / 2)] = (flipped[Math.floor(flipped.length / 2)] ?? 0) ^ 0xff
    await s3.put(BUCKET, key, flipped)
    const damaged = await verifyFiles(dedicated, 'p3', join(work, 'drill-damaged'))
    assert.equal(damaged.length, 1)
    assert.match(damaged[0] ?? '', /^restore point p3 could not be restored: /)
    const live = join(work, 'live-over-damaged')
    await cp(volume, live, { recursive: true, verbatimSymlinks: true })
    await writeFile(join(live, 'added-since.txt'), 'kept\n')
    const before = await fileManifest(live)
    await assert.rejects(restoreFiles(dedicated, 'p3', live, { replace: true }), ResticError)
    assert.deepEqual(
      manifestDifferences(before, await fileManifest(live)),
      [],
      'a failed restore changed the volume',
    )
    assert.ok(!(await readdir(live)).some((name) => name.startsWith('.hostplane-restoring-')))

    for (const [dataKey] of data) await s3.remove(BUCKET, dataKey)
    const emptied = await verifyFiles(dedicated, 'p3', join(work, 'drill-emptied'))
    assert.equal(emptied.length, 1)
    assert.match(emptied[0] ?? '', /^restore point p3 could not be restored: /)
  })
})
