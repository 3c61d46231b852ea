import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Backup, BackupSchedule, Database, Webspace } from '../../api/resources.js'
import type { ObjectRef } from '../../kube/apply.js'
import { FinalBackupReconciler, type FinalBackupCache, finalBackupName } from './final-backup.js'
import { schedule } from './fixtures.js'
import { FINAL_BACKUP } from './owned.js'

const webspace = (metadata: Partial<Webspace['metadata']> = {}, storage = true): Webspace =>
  ({
    apiVersion: 'hostplane.dev/v1alpha1',
    kind: 'Webspace',
    metadata: { name: 'shop', namespace: 'sh-acme', resourceVersion: '7', ...metadata },
    spec: { runtime: 'node-22', ...(storage ? { storage: { size: '1Gi', mountPath: '/data' } } : {}) },
  }) as Webspace

const DELETED = '2026-12-07T10:42:31Z'

function reconcilerWith(found: Partial<FinalBackupCache> & { schedules?: BackupSchedule[] }) {
  const writes: { action: string; ref: Partial<ObjectRef>; body: unknown }[] = []
  const reconciler = new FinalBackupReconciler({
    cache: {
      webspace: () => undefined,
      database: () => undefined,
      schedulesIn: () => found.schedules ?? [schedule()],
      backups: () => [],
      terminating: () => false,
      ...found,
    },
    applier: {
      create: async (ref, body) => {
        writes.push({ action: 'create', ref, body })
      },
      mergePatch: async (ref, body) => {
        writes.push({ action: 'patch', ref, body })
      },
    },
  })
  return { reconciler, writes }
}

const finalizersIn = (body: unknown) => (body as { metadata: { finalizers: string[] } }).metadata.finalizers

describe('the final backup before a delete', () => {
  it('holds a Webspace with a volume that a schedule backs up, and lets it go when the schedule opts out', async () => {
    const held = reconcilerWith({ webspace: () => webspace({ finalizers: ['other'] }) })
    assert.equal(await held.reconciler.reconcile('webspace', 'sh-acme/shop'), 'finalizer-added')
    assert.deepEqual(finalizersIn(held.writes[0]?.body), ['other', FINAL_BACKUP])

    const optedOut = reconcilerWith({
      webspace: () => webspace({ finalizers: ['other', FINAL_BACKUP] }),
      schedules: [schedule({ finalBackup: false })],
    })
    assert.equal(await optedOut.reconciler.reconcile('webspace', 'sh-acme/shop'), 'finalizer-removed')
    assert.deepEqual(finalizersIn(optedOut.writes[0]?.body), ['other'])
  })

  it('holds nothing that has nothing to back up: a Webspace without a volume, a Database without its Secret', async () => {
    const volumeless = reconcilerWith({ webspace: () => webspace({}, false) })
    assert.equal(await volumeless.reconciler.reconcile('webspace', 'sh-acme/shop'), 'none')
    const database: Database = {
      apiVersion: 'hostplane.dev/v1alpha1',
      kind: 'Database',
      metadata: { name: 'shop-db', namespace: 'sh-acme' },
      spec: { engine: 'MariaDB', deletionPolicy: 'Delete' },
    }
    const unready = reconcilerWith({
      database: () => database,
      schedules: [schedule({ webspace: undefined, database: 'shop-db' })],
    })
    assert.equal(await unready.reconciler.reconcile('database', 'sh-acme/shop-db'), 'none')
    assert.deepEqual(unready.writes, [])
  })

  it('takes one Backup of the deleted Webspace, named by the delete, and lets it go once that Backup finished', async () => {
    const deleted = webspace({ finalizers: [FINAL_BACKUP], deletionTimestamp: DELETED })
    const name = finalBackupName('nightly', new Date(DELETED))
    assert.equal(name, 'nightly-final-202612071042')

    const first = reconcilerWith({ webspace: () => deleted })
    assert.equal(await first.reconciler.reconcile('webspace', 'sh-acme/shop'), 'applied')
    const backup = first.writes[0]?.body as Backup
    assert.equal(backup.metadata.name, name)
    assert.deepEqual(backup.spec, { webspace: 'shop' })
    assert.equal(backup.metadata.labels?.['hostplane.dev/backup-schedule'], 'nightly')
    assert.equal(backup.metadata.ownerReferences?.[0]?.uid, 'uid-s')

    const made = (status?: Backup['status']): Backup => ({ ...backup, ...(status ? { status } : {}) })
    const running = reconcilerWith({ webspace: () => deleted, backups: () => [made({ phase: 'Running' })] })
    assert.equal(await running.reconciler.reconcile('webspace', 'sh-acme/shop'), 'none')
    assert.deepEqual(running.writes, [])

    // A failed final backup lets it go too: its failure is the Backup's condition, Event and metric.
    for (const phase of ['Succeeded', 'Failed'] as const) {
      const done = reconcilerWith({ webspace: () => deleted, backups: () => [made({ phase })] })
      assert.equal(await done.reconciler.reconcile('webspace', 'sh-acme/shop'), 'finalizer-removed')
      assert.deepEqual(finalizersIn(done.writes[0]?.body), [])
    }
  })

  it('lets a deleted Webspace go at once when its customer is being deleted or no schedule names it any more', async () => {
    const deleted = webspace({ finalizers: [FINAL_BACKUP], deletionTimestamp: DELETED })
    const leaving = reconcilerWith({ webspace: () => deleted, terminating: () => true })
    assert.equal(await leaving.reconciler.reconcile('webspace', 'sh-acme/shop'), 'finalizer-removed')
    const unnamed = reconcilerWith({ webspace: () => deleted, schedules: [schedule({ webspace: 'blog' })] })
    assert.equal(await unnamed.reconciler.reconcile('webspace', 'sh-acme/shop'), 'finalizer-removed')
  })
})
