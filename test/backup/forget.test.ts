/**
 * `hostplane backup forget` and `backup list` as processes, with real restic on moto's S3
 * server: restore points of three groups taken over simulated days (`run --time`), a group's
 * retention forgetting exactly the points its rule does not keep, `--prune` giving their data
 * back (the bucket shrinks), the other groups untouched and still restorable.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { binaryUnavailable } from '../cluster/paths.js'
import { runHostplane } from '../e2e/cli-process.js'
import { motoUnavailable, type S3UnderTest, startMoto } from './moto.js'
import { mountRepositorySecret } from './mounted-secret.js'

const unavailable =
  (await binaryUnavailable('backup', '/usr/bin/restic', 'restic')) || (await motoUnavailable())

const BUCKET = 'hostplane-retention'
/** Each point holds a file of random bytes of its own: restic can neither compress nor share it. */
const POINT_BYTES = 512 * 1024

/** [group, point, time]: `nightly` has two points on 2 December, the newer one kept by --keep-daily. */
const POINTS: readonly [string, string, string][] = [
  ['nightly', 'n-1201', '2026-12-01T03:00:00Z'],
  ['nightly', 'n-1202-a', '2026-12-02T03:00:00Z'],
  ['nightly', 'n-1202-b', '2026-12-02T15:00:00Z'],
  ['nightly', 'n-1203', '2026-12-03T03:00:00Z'],
  ['weekly', 'w-1201', '2026-12-01T04:00:00Z'],
  ['manual', 'm-1202', '2026-12-02T12:00:00Z'],
]

interface Listed {
  points: { point: string; group?: string; time: string; parts: string[] }[]
}

describe('hostplane backup forget and list', { skip: unavailable }, () => {
  let s3: S3UnderTest
  let work: string
  let repository: string
  const backup = (...args: string[]) =>
    runHostplane(['backup', ...args, '--repository', repository, '--cache-dir', join(work, 'cache')])
  const dataBytes = async () =>
    [...(await s3.objects(BUCKET))]
      .filter(([key]) => key.startsWith('acme/data/'))
      .reduce((sum, [, body]) => sum + body.length, 0)
  const listed = async (...args: string[]) => {
    const answer = await backup('list', ...args)
    assert.equal(answer.code, 0, answer.stderr)
    return (JSON.parse(answer.stdout) as Listed).points
  }

  before(async () => {
    s3 = await startMoto()
    await s3.createBucket(BUCKET)
    work = await mkdtemp(join(tmpdir(), 'hp-backup-forget-'))
    repository = await mountRepositorySecret(join(work, 'secret-repository'), s3.endpoint, BUCKET, 'acme')
    for (const [group, point, time] of POINTS) {
      const volume = join(work, `volume-${group}`)
      await mkdir(volume, { recursive: true })
      await writeFile(join(volume, 'data.bin'), randomBytes(POINT_BYTES))
      const taken = await backup(
        'run',
        '--group',
        group,
        '--point',
        point,
        '--time',
        time,
        '--volume',
        volume,
      )
      assert.equal(taken.code, 0, taken.stderr)
      assert.equal((JSON.parse(taken.stdout) as { group: string }).group, group)
    }
  })

  after(async () => {
    await s3?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('lists the restore points with their group, time and parts, oldest first, all or one group', async () => {
    const all = await listed()
    assert.deepEqual(
      all.map(({ point, group, time }) => [group, point, time]),
      [...POINTS]
        .sort(([, , a], [, , b]) => a.localeCompare(b))
        .map(([group, point, time]) => [group, point, time.replace('Z', '.000Z')]),
    )
    assert.deepEqual(all[0]?.parts, ['files', 'files-manifest'])
    assert.deepEqual(
      (await listed('--group', 'nightly')).map(({ point }) => point),
      ['n-1201', 'n-1202-a', 'n-1202-b', 'n-1203'],
    )
  })

  it('forgets what --keep-daily does not keep, in its group only; --prune gives the data back', async () => {
    const answerFile = join(work, 'termination-log')
    const kept2 = await backup(
      'forget',
      '--group',
      'nightly',
      '--keep-daily',
      '2',
      '--answer-file',
      answerFile,
    )
    assert.equal(kept2.code, 0, kept2.stderr)
    assert.deepEqual(JSON.parse(kept2.stdout), {
      group: 'nightly',
      kept: [
        { point: 'n-1203', why: ['daily 2026-12-03'] },
        { point: 'n-1202-b', why: ['daily 2026-12-02'] },
      ],
      forgotten: ['n-1202-a', 'n-1201'],
      pruned: false,
    })
    assert.equal(await readFile(answerFile, 'utf8'), kept2.stdout)

    const before = await dataBytes()
    const kept1 = await backup('forget', '--group', 'nightly', '--keep-daily', '1', '--prune')
    assert.equal(kept1.code, 0, kept1.stderr)
    assert.deepEqual(JSON.parse(kept1.stdout), {
      group: 'nightly',
      kept: [{ point: 'n-1203', why: ['daily 2026-12-03'] }],
      forgotten: ['n-1202-b'],
      pruned: true,
    })
    // The three forgotten points' files are gone from the bucket, nothing else.
    const freed = before - (await dataBytes())
    assert.ok(freed >= 3 * POINT_BYTES, `the prune freed ${freed} bytes`)
    assert.ok(freed < 4 * POINT_BYTES, `the prune freed ${freed} bytes`)

    assert.deepEqual(
      (await listed()).map(({ point }) => point),
      ['w-1201', 'm-1202', 'n-1203'],
    )
    const verified = await backup('verify', '--point', 'w-1201', '--volume', join(work, 'drill'))
    assert.equal(verified.code, 0, verified.stdout)
  })

  it('refuses a forget with no keep rule, saying why, in the answer file too', async () => {
    const answerFile = join(work, 'refused-log')
    // Refused before restic is asked anything, so side by side.
    const [refused, zero, zone] = await Promise.all([
      backup('forget', '--group', 'weekly', '--answer-file', answerFile),
      backup('forget', '--group', 'weekly', '--keep-daily', '0'),
      backup('forget', '--group', 'weekly', '--keep-daily', '1', '--time-zone', 'Mars/Olympus'),
    ])
    const why =
      'no --keep-last, --keep-daily, --keep-weekly or --keep-monthly: that would forget every restore point of group weekly'
    assert.deepEqual([refused.code, refused.stderr.trim()], [2, `hostplane backup forget: ${why}`])
    assert.deepEqual(JSON.parse(await readFile(answerFile, 'utf8')), { error: why })
    assert.equal(zero.code, 2)
    assert.match(zero.stderr, /0 is not a whole number of at least 1/)
    assert.equal(zone.code, 2)
    assert.match(zone.stderr, /Mars\/Olympus is not an IANA time zone/)
  })
})
