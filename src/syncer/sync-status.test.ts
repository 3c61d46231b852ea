import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StaticSite } from '../api/resources.js'
import type { SyncResult } from './site-syncer.js'
import { SyncError } from './sync-error.js'
import { desiredSyncStatus, type SyncOutcome } from './sync-status.js'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const T0 = new Date('2026-11-22T03:00:00Z')
const T1 = new Date('2026-11-22T03:05:00Z')

const site = (status?: StaticSite['status'], generation = 1): StaticSite => ({
  apiVersion: 'hostplane.dev/v1alpha1',
  kind: 'StaticSite',
  metadata: { name: 'blog', namespace: 'team', generation },
  spec: {
    repo: 'https://git.example/a.git',
    ref: 'main',
    path: '/',
    syncInterval: '5m',
    tls: { mode: 'auto' },
  },
  status,
})
const result = (
  action: SyncResult['action'],
  commit: string,
  dropped: SyncResult['dropped'] = [],
): SyncOutcome => ({
  ok: true,
  result: {
    action,
    commit,
    dropped,
    fetched: action === 'published',
    revisions: [{ commit, path: '/', tree: commit, publishedAt: '2026-11-22T03:00:00.000Z' }],
  },
})
const failed = (): SyncOutcome => ({
  ok: false,
  error: new SyncError('HP_ERR_SYNC_AUTH_FAILED', 'authentication failed: x'),
})
const applied = (s: StaticSite, outcome: SyncOutcome, now: Date): StaticSite => {
  const status = desiredSyncStatus(s, outcome, now)
  return status ? { ...s, status: { ...s.status, ...status } } : s
}

describe('desiredSyncStatus', () => {
  it('writes Synced=True Published, the commit, the revisions and lastSync after a first publish', () => {
    const status = desiredSyncStatus(site(), result('published', A), T0)
    assert.deepEqual(status, {
      conditions: [
        {
          type: 'Synced',
          status: 'True',
          reason: 'Published',
          message: `serving commit ${A.slice(0, 12)}`,
          observedGeneration: 1,
          lastTransitionTime: '2026-11-22T03:00:00Z',
        },
      ],
      lastSync: '2026-11-22T03:00:00Z',
      lastCommit: A,
      revisions: [{ commit: A, publishedAt: '2026-11-22T03:00:00.000Z' }],
    })
  })

  it('writes nothing for an unchanged poll of a site whose status already says so', () => {
    const published = applied(site(), result('published', A, [{ path: 'x', why: 'y' }]), T0)
    assert.equal(desiredSyncStatus(published, result('unchanged', A), T1), undefined)
  })

  it('keeps the last good commit and revisions on failure, with the failure reason and message', () => {
    const published = applied(site(), result('published', A), T0)
    const status = desiredSyncStatus(published, failed(), T1)
    assert.equal(status?.lastCommit, A)
    assert.equal(status?.lastSync, '2026-11-22T03:00:00Z')
    assert.deepEqual(status?.conditions[0], {
      type: 'Synced',
      status: 'False',
      reason: 'AuthenticationFailed',
      message: 'authentication failed: x',
      observedGeneration: 1,
      lastTransitionTime: '2026-11-22T03:05:00Z',
    })
  })

  it('writes nothing when the same failure repeats', () => {
    const failing = applied(applied(site(), result('published', A), T0), failed(), T1)
    assert.equal(desiredSyncStatus(failing, failed(), new Date('2026-11-22T04:00:00Z')), undefined)
  })

  it('says RolledBack when a kept revision is served again', () => {
    const status = desiredSyncStatus(
      applied(site(), result('published', B), T0),
      result('rolled-back', A),
      T1,
    )
    assert.equal(status?.conditions[0]?.reason, 'RolledBack')
    assert.equal(status?.lastCommit, A)
  })

  it('lists dropped entries in the message', () => {
    const status = desiredSyncStatus(
      site(),
      result('published', A, [{ path: 'evil', why: 'symlink to "/etc" leaves the site' }]),
      T0,
    )
    assert.match(
      status?.conditions[0]?.message ?? '',
      /1 entries not published: evil \(symlink to "\/etc" leaves the site\)/,
    )
  })

  it('records the new generation after a spec change that publishes the same commit', () => {
    const published = applied(site(), result('published', A), T0)
    const status = desiredSyncStatus(
      { ...published, metadata: { ...published.metadata, generation: 2 } },
      result('unchanged', A),
      T1,
    )
    assert.equal(status?.conditions[0]?.observedGeneration, 2)
    assert.equal(status?.lastSync, '2026-11-22T03:00:00Z')
  })

  it('records a handled sync request even when the sync changed nothing, and keeps it afterwards', () => {
    const published = applied(site(), result('published', A), T0)
    const handled = desiredSyncStatus(published, result('unchanged', A), T1, { handledSyncRequest: 'r1' })
    assert.equal(handled?.lastHandledSyncRequest, 'r1')
    assert.equal(handled?.lastSync, '2026-11-22T03:00:00Z', 'nothing was published')
    const after = { ...published, status: { ...published.status, ...handled } }
    assert.equal(desiredSyncStatus(after, result('unchanged', A), T1), undefined)
    assert.equal(
      desiredSyncStatus(after, result('unchanged', A), T1, { handledSyncRequest: 'r1' }),
      undefined,
    )
  })

  it('shows the webhook URL while the site has one, and drops it when it no longer does', () => {
    const url = 'https://sync.example/hooks/sites/team/blog'
    const published = applied(site(), result('published', A), T0)
    const withUrl = desiredSyncStatus(published, result('unchanged', A), T1, { webhookURL: url })
    assert.equal(withUrl?.webhookURL, url)
    const after = { ...published, status: { ...published.status, ...withUrl } }
    assert.equal(desiredSyncStatus(after, result('unchanged', A), T1)?.webhookURL, undefined)
  })

  it('says CustomerSuspended while the customer is suspended, keeping what is served', () => {
    const published = applied(site(), result('published', A), T0)
    const status = desiredSyncStatus(
      published,
      { ok: false, error: new SyncError('HP_ERR_SYNC_CUSTOMER_SUSPENDED', 'customer suspended: acme') },
      T1,
    )
    assert.equal(status?.conditions[0]?.status, 'False')
    assert.equal(status?.conditions[0]?.reason, 'CustomerSuspended')
    assert.equal(status?.lastCommit, A)
  })
})
