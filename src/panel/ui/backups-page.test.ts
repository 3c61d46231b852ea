import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Backup } from '../../api/resources.js'
import { backupView } from '../views.js'
import { backupsPage } from './backups-page.js'
import { customerViewer } from './fixtures.js'

const viewer = customerViewer

const backup = (name: string, status: Backup['status']): Backup => ({
  apiVersion: 'hostplane.dev/v1alpha1',
  kind: 'Backup',
  metadata: { name, resourceVersion: '3', labels: { 'hostplane.dev/backup-schedule': 'nightly' } },
  spec: { webspace: 'shop', database: 'shop-db' },
  status,
})

const done = backup('nightly-202612070300', {
  phase: 'Succeeded',
  completionTime: '2026-12-07T03:01:00Z',
  files: { snapshot: 'f1', files: 12, bytes: 3400, added: 10 },
  database: { snapshot: 'd1', tables: 3, rows: 42, added: 5 },
})
const failed = backup('manual-1', {
  phase: 'Failed',
  conditions: [
    {
      type: 'Ready',
      status: 'False',
      reason: 'JobFailed',
      message: 'the database <shop-db> refused the dump',
      lastTransitionTime: '2026-12-07T03:00:00Z',
    },
  ],
})

describe('a Backup in words, and the Backups page', () => {
  it('a Succeeded Backup is backed up and offers both parts; a failed one says why and offers none', () => {
    const view = backupView(done)
    assert.deepEqual(view.state, { state: 'ok', text: 'backed up' })
    assert.deepEqual(view.downloads, ['files', 'database'])
    assert.equal(view.schedule, 'nightly')
    assert.equal(view.takenAt, '2026-12-07T03:01:00Z')
    const broken = backupView(failed)
    assert.deepEqual(broken.state, { state: 'problem', text: 'the database <shop-db> refused the dump' })
    assert.deepEqual(broken.downloads, [])
    assert.deepEqual(backupView(backup('new', undefined)).state, {
      state: 'pending',
      text: 'waiting to start',
    })
  })

  it('links each part of a Succeeded Backup to its download, and escapes what the API server said', () => {
    const page = backupsPage(viewer, [backupView(done), backupView(failed)]).value
    assert.ok(page.includes('href="/api/v1/backups/nightly-202612070300/download?part=files"'))
    assert.ok(page.includes('href="/api/v1/backups/nightly-202612070300/download?part=database"'))
    assert.ok(!page.includes('manual-1/download'))
    assert.ok(page.includes('the database &lt;shop-db&gt; refused the dump'))
    assert.ok(page.includes('12 files, 3400 bytes') && page.includes('3 tables, 42 rows'))
    assert.match(page, /<a href="\/backups"\s+aria-current="page"/)
  })

  it('says what a Backup is when there is none', () => {
    assert.match(backupsPage(viewer, []).value, /No backups yet/)
  })
})
