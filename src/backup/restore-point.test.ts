import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Snapshot } from './restic.js'
import { partLabels, restorePointsOf } from './restore-point.js'

/** A snapshot as `restic snapshots --json` lists it. */
const snapshot = (id: string, time: string, tags: string[], bytes?: number): Snapshot => ({
  id,
  short_id: id.slice(0, 8),
  time,
  paths: ['/data'],
  tags,
  ...(bytes === undefined ? {} : { summary: { total_bytes_processed: bytes } }),
})

describe('restore points from restic snapshots', () => {
  it('labels each part of a new point with the point, the part and the group, and its time', () => {
    const time = new Date('2026-12-07T03:00:00Z')
    assert.deepEqual(partLabels('p1', 'files', { group: 'nightly', time }), {
      tags: ['hostplane', 'point=p1', 'part=files', 'group=nightly'],
      time,
    })
    assert.deepEqual(partLabels('p1', 'database').tags, ['hostplane', 'point=p1', 'part=database'])
  })

  it("gathers a point's parts, dates it by its files (or its database), oldest first", () => {
    const points = restorePointsOf([
      snapshot('a1', '2026-12-07T03:00:10Z', ['hostplane', 'point=p2', 'part=files', 'group=nightly']),
      snapshot('a2', '2026-12-07T03:00:20Z', [
        'hostplane',
        'point=p2',
        'part=files-manifest',
        'group=nightly',
      ]),
      snapshot('a3', '2026-12-07T03:00:30Z', ['hostplane', 'point=p2', 'part=database', 'group=nightly']),
      snapshot('b1', '2026-12-06T03:00:40+01:00', ['hostplane', 'point=p1', 'part=database-manifest']),
      snapshot('b2', '2026-12-06T03:00:30+01:00', ['hostplane', 'point=p1', 'part=database']),
      snapshot('c1', '2026-12-01T00:00:00Z', ['someone-else']),
    ])
    assert.deepEqual(points, [
      {
        point: 'p1',
        time: new Date('2026-12-06T02:00:30Z'),
        parts: ['database', 'database-manifest'],
        snapshots: ['b1', 'b2'],
      },
      {
        point: 'p2',
        group: 'nightly',
        time: new Date('2026-12-07T03:00:10Z'),
        parts: ['files', 'files-manifest', 'database'],
        snapshots: ['a1', 'a2', 'a3'],
      },
    ])
  })

  it('adds the bytes of its files and database when restic records them (0.17 and later)', () => {
    const [point] = restorePointsOf([
      snapshot('a1', '2026-12-07T03:00:10Z', ['hostplane', 'point=p', 'part=files'], 1000),
      snapshot('a2', '2026-12-07T03:00:20Z', ['hostplane', 'point=p', 'part=files-manifest'], 50),
      snapshot('a3', '2026-12-07T03:00:30Z', ['hostplane', 'point=p', 'part=database'], 200),
    ])
    assert.equal(point?.bytes, 1200)
  })
})
