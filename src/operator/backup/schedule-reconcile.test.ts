import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Backup, BackupSchedule, Restore } from '../../api/resources.js'
import type { ObjectRef } from '../../kube/apply.js'
import { findCondition } from '../../kube/conditions.js'
import { schedule } from './fixtures.js'
import { BackupScheduleReconciler, HISTORY, scheduledBackupName } from './schedule-reconcile.js'

const backup = (name: string, created: string, phase?: 'Succeeded' | 'Failed' | 'Running'): Backup => ({
  apiVersion: 'hostplane.dev/v1alpha1',
  kind: 'Backup',
  metadata: {
    name,
    namespace: 'sh-acme',
    creationTimestamp: created,
    labels: { 'hostplane.dev/backup-schedule': 'nightly' },
  },
  spec: { webspace: 'shop' },
  ...(phase ? { status: { phase, completionTime: created } } : {}),
})

function reconcilerAt(now: string, found: BackupSchedule, backups: Backup[] = [], drills: Restore[] = []) {
  const writes: string[] = []
  const created: unknown[] = []
  let status: BackupSchedule['status']
  let missed = 0
  const reconciler = new BackupScheduleReconciler({
    cache: { schedule: () => found, backups: () => backups, drills: () => drills },
    applier: {
      create: async (_ref: Omit<ObjectRef, 'name'>, object: unknown) => {
        created.push(object)
        writes.push(`create ${(object as Backup).metadata.name}`)
      },
      delete: async (ref: ObjectRef) => {
        writes.push(`delete ${ref.name}`)
      },
      applyStatus: async (_ref, object) => {
        status = object.status as BackupSchedule['status']
      },
    },
    events: { record: async () => {} },
    countMissed: (runs) => (missed += runs),
    recordSuccess: () => {},
    recordVerified: () => {},
    clock: () => new Date(now),
  })
  return { reconciler, writes, created, status: () => status, missed: () => missed }
}

describe('the BackupSchedule reconciler', () => {
  it('makes one Backup named by the scheduled time when it is due, and looks again at the next one', async () => {
    const run = reconcilerAt(
      '2026-12-07T03:00:20Z',
      schedule({}, { lastScheduleTime: '2026-12-06T03:00:00Z' }),
    )
    const result = await run.reconciler.reconcile('sh-acme/nightly')
    assert.deepEqual(run.writes, ['create nightly-202612070300'])
    assert.equal(run.status()?.lastScheduleTime, '2026-12-07T03:00:00Z')
    assert.equal(run.status()?.nextScheduleTime, '2026-12-08T03:00:00Z')
    assert.equal(findCondition(run.status()?.conditions, 'Scheduled')?.reason, 'OnSchedule')
    assert.equal(typeof result === 'object' && result.requeueAfterMs, 60 * 60_000)
  })

  it('misses a run while the previous Backup still runs, and says so until a later run starts', async () => {
    const running = [backup('nightly-202612060300', '2026-12-06T03:00:01Z', 'Running')]
    const run = reconcilerAt(
      '2026-12-07T03:00:20Z',
      schedule({}, { lastScheduleTime: '2026-12-06T03:00:00Z' }),
      running,
    )
    await run.reconciler.reconcile('sh-acme/nightly')
    assert.deepEqual(run.writes, [])
    assert.equal(run.missed(), 1)
    assert.equal(run.status()?.missedRuns, 1)
    assert.equal(findCondition(run.status()?.conditions, 'Scheduled')?.reason, 'MissedSchedule')
    assert.equal(findCondition(run.status()?.conditions, 'Ready')?.status, 'False')

    const later = reconcilerAt(
      '2026-12-08T03:00:20Z',
      schedule({}, { ...run.status(), lastScheduleTime: '2026-12-07T03:00:00Z' }),
      [backup('nightly-202612060300', '2026-12-06T03:00:01Z', 'Succeeded')],
    )
    await later.reconciler.reconcile('sh-acme/nightly')
    assert.deepEqual(later.writes, ['create nightly-202612080300'])
    assert.equal(findCondition(later.status()?.conditions, 'Scheduled')?.reason, 'OnSchedule')
  })

  it('counts the runs an operator outage skipped, and runs the latest within its deadline', async () => {
    const run = reconcilerAt(
      '2026-12-07T03:30:00Z',
      schedule({}, { lastScheduleTime: '2026-12-04T03:00:00Z' }),
    )
    await run.reconciler.reconcile('sh-acme/nightly')
    assert.deepEqual(run.writes, ['create nightly-202612070300'])
    assert.equal(run.missed(), 2)
    assert.equal(findCondition(run.status()?.conditions, 'Scheduled')?.reason, 'MissedSchedule')
  })

  it('reports the newest finished Backup, and keeps only the newest finished ones as objects', async () => {
    const backups = Array.from({ length: HISTORY + 2 }, (_, day) =>
      backup(
        scheduledBackupName('nightly', new Date(Date.UTC(2026, 10, day + 1, 3))),
        `2026-11-${String(day + 1).padStart(2, '0')}T03:00:05Z`,
        day === HISTORY + 1 ? 'Failed' : 'Succeeded',
      ),
    )
    const run = reconcilerAt(
      '2026-12-07T02:00:00Z',
      schedule({}, { lastScheduleTime: '2026-12-06T03:00:00Z' }),
      backups,
    )
    await run.reconciler.reconcile('sh-acme/nightly')
    assert.deepEqual(run.writes, ['delete nightly-202611020300', 'delete nightly-202611010300'])
    assert.equal(findCondition(run.status()?.conditions, 'BackedUp')?.status, 'False')
    assert.equal(run.status()?.lastSuccessfulBackup, 'nightly-202611110300')
  })

  it('says what is wrong with a schedule it cannot read, and takes no backup while suspended', async () => {
    const bad = reconcilerAt('2026-12-07T03:00:20Z', schedule({ schedule: '0 3 30 2 *' }))
    await bad.reconciler.reconcile('sh-acme/nightly')
    const scheduled = findCondition(bad.status()?.conditions, 'Scheduled')
    assert.equal(scheduled?.reason, 'InvalidSchedule')
    assert.match(scheduled?.message ?? '', /February has no day 30/)
    const suspended = reconcilerAt(
      '2026-12-07T03:00:20Z',
      schedule({ suspend: true }, { lastScheduleTime: '2026-12-06T03:00:00Z' }),
    )
    await suspended.reconciler.reconcile('sh-acme/nightly')
    assert.deepEqual(suspended.writes, [])
    assert.equal(suspended.missed(), 0)
    assert.equal(findCondition(suspended.status()?.conditions, 'Scheduled')?.reason, 'Suspended')
  })

  it('counts no miss for the run it made itself when its own status write is not yet in the cache', async () => {
    const run = reconcilerAt(
      '2026-12-07T03:00:40Z',
      schedule({}, { lastScheduleTime: '2026-12-06T03:00:00Z' }),
      [backup('nightly-202612070300', '2026-12-07T03:00:20Z', 'Running')],
    )
    await run.reconciler.reconcile('sh-acme/nightly')
    assert.deepEqual(run.writes, [])
    assert.equal(run.missed(), 0)
    assert.equal(run.status()?.lastBackup, 'nightly-202612070300')
    assert.equal(findCondition(run.status()?.conditions, 'Scheduled')?.reason, 'OnSchedule')
  })

  it('drills the newest successful Backup when a drill is due, and says what the newest drill found', async () => {
    const drillSpec = { drill: { schedule: '30 4 * * 0', suspend: false } }
    const backups = [
      backup('nightly-202612050300', '2026-12-05T03:00:00Z', 'Succeeded'),
      backup('nightly-202612060300', '2026-12-06T03:00:00Z', 'Failed'),
    ]
    const due = reconcilerAt(
      '2026-12-06T04:30:10Z',
      schedule(drillSpec, { lastScheduleTime: '2026-12-06T03:00:00Z' }),
      backups,
    )
    await due.reconciler.reconcile('sh-acme/nightly')
    assert.deepEqual(due.writes, ['create nightly-202612060430'])
    const drill = due.created[0] as Restore
    assert.deepEqual(drill.spec, { backup: 'nightly-202612050300', verify: true })
    assert.equal(drill.metadata.labels?.['hostplane.dev/backup-schedule'], 'nightly')
    assert.equal(findCondition(due.status()?.conditions, 'Verified')?.reason, 'NoDrillYet')

    const restore = (
      name: string,
      created: string,
      phase: 'Succeeded' | 'Failed',
      message: string,
    ): Restore => ({
      apiVersion: 'hostplane.dev/v1alpha1',
      kind: 'Restore',
      metadata: { name, namespace: 'sh-acme', creationTimestamp: created },
      spec: { backup: 'nightly-202612050300', verify: true, keepCurrent: true },
      status: {
        phase,
        completionTime: created,
        conditions: [
          {
            type: 'Ready',
            status: phase === 'Succeeded' ? 'True' : 'False',
            reason: phase === 'Succeeded' ? 'DrillPassed' : 'DrillFailed',
            message,
            lastTransitionTime: created,
          },
        ],
      },
    })
    const failed = reconcilerAt(
      '2026-12-06T05:00:00Z',
      schedule(drillSpec, {
        lastScheduleTime: '2026-12-06T03:00:00Z',
        lastDrillScheduleTime: '2026-12-06T04:30:00Z',
      }),
      backups,
      [
        restore('nightly-202611290430', '2026-11-29T04:40:00Z', 'Succeeded', 'ok'),
        restore(
          'nightly-202612060430',
          '2026-12-06T04:40:00Z',
          'Failed',
          'the drill found 1 problems: table t: 0 rows, was 5',
        ),
      ],
    )
    await failed.reconciler.reconcile('sh-acme/nightly')
    assert.deepEqual(failed.writes, [])
    const verified = findCondition(failed.status()?.conditions, 'Verified')
    assert.equal(verified?.status, 'False')
    assert.match(verified?.message ?? '', /0 rows, was 5/)
    assert.equal(findCondition(failed.status()?.conditions, 'Ready')?.status, 'False')
    assert.deepEqual(failed.status()?.lastVerifiedRestore, {
      time: '2026-11-29T04:40:00Z',
      backup: 'nightly-202612050300',
      restore: 'nightly-202611290430',
    })
  })
})
