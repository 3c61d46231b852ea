import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StaticSite } from '../api/resources.js'
import { syncRequestState } from './sync-command.js'

const site = (
  lastHandledSyncRequest: string | undefined,
  synced?: ['True' | 'False', string, string],
): Pick<StaticSite, 'status'> => ({
  status: {
    lastHandledSyncRequest,
    conditions: synced
      ? [
          {
            type: 'Synced',
            status: synced[0],
            reason: synced[1],
            message: synced[2],
            lastTransitionTime: '2026-12-05T08:00:00Z',
          },
        ]
      : [],
  },
})

describe('syncRequestState', () => {
  it('is pending while the syncer has not handled this request (none yet, or an older one)', () => {
    assert.deepEqual(syncRequestState(site(undefined), 't2'), { done: false })
    assert.deepEqual(syncRequestState(site('t1', ['True', 'Published', 'serving commit a']), 't2'), {
      done: false,
    })
  })

  it('reports the Synced condition once the request is handled', () => {
    assert.deepEqual(syncRequestState(site('t2', ['True', 'Published', 'serving commit a']), 't2'), {
      done: true,
      ok: true,
      summary: 'Published: serving commit a',
    })
    assert.deepEqual(
      syncRequestState(site('t2', ['False', 'CustomerSuspended', 'customer suspended: acme']), 't2'),
      { done: true, ok: false, summary: 'CustomerSuspended: customer suspended: acme' },
    )
  })
})
