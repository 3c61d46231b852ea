import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Condition } from '../api/conditions.js'
import type { Release } from '../api/resources.js'
import { lastBuild, siteStatusWords, webspaceStatusWords } from './status-words.js'

const condition = (type: string, status: Condition['status'], reason: string, message = ''): Condition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-01-01T00:00:00Z',
})

const site = (conditions: Condition[], status: Record<string, unknown> = {}) => ({
  metadata: { name: 's', generation: 1 },
  status: { conditions, ...status },
})

const release = (name: string, createdAt: string, commit = 'c'.repeat(40)) =>
  ({
    metadata: { name, creationTimestamp: createdAt },
    spec: { webspace: 'w', branch: 'main', commit },
  }) as Release

describe('status in words', () => {
  it('a new site is pending everywhere', () => {
    const words = siteStatusWords({ metadata: { name: 's' } })
    assert.deepEqual(words.routed, { state: 'pending', text: 'not routed yet' })
    assert.deepEqual(words.sync, { state: 'pending', text: 'waiting for the first sync' })
    assert.deepEqual(words.certificate, { state: 'pending', text: 'waiting for a certificate' })
  })

  it('a published, routed site says so, with its commit and last sync', () => {
    const commit = 'a'.repeat(40)
    const words = siteStatusWords(
      site(
        [
          condition('Synced', 'True', 'Published'),
          condition('Routed', 'True', 'RouteApplied'),
          condition('CertificateReady', 'True', 'CertificateIssued'),
          condition('Ready', 'True', 'Ready'),
        ],
        { lastCommit: commit, lastSync: '2026-01-02T00:00:00Z' },
      ),
    )
    assert.deepEqual(words.routed, { state: 'ok', text: 'routed' })
    assert.deepEqual(words.sync, { state: 'ok', text: `published ${commit.slice(0, 12)}` })
    assert.deepEqual(words.certificate, { state: 'ok', text: 'certificate ready' })
    assert.equal(words.lastSync, '2026-01-02T00:00:00Z')
    assert.equal(words.lastCommit, commit)
  })

  it('a False condition says why in its own message, and TLS off is no problem', () => {
    const words = siteStatusWords(
      site([
        condition(
          'DomainClaimed',
          'False',
          'DomainOwnedByOtherNamespace',
          'a.example is claimed by another customer',
        ),
        condition('CertificateReady', 'True', 'TlsDisabled'),
        condition('Synced', 'False', 'RefNotFound'),
      ]),
    )
    assert.deepEqual(words.domain, { state: 'problem', text: 'a.example is claimed by another customer' })
    assert.deepEqual(words.certificate, { state: 'ok', text: 'no certificate: TLS is off' })
    assert.deepEqual(
      words.sync,
      { state: 'problem', text: 'RefNotFound' },
      'the reason when there is no message',
    )
  })

  it('a condition of an older generation is pending, not a stale answer', () => {
    const stale = { ...condition('Routed', 'True', 'RouteApplied'), observedGeneration: 1 }
    const words = siteStatusWords({ metadata: { name: 's', generation: 2 }, status: { conditions: [stale] } })
    assert.equal(words.routed.state, 'pending')
  })

  it('a webspace names the Release it runs, a rollback by the health gate, and its last build', () => {
    const running = webspaceStatusWords(
      {
        metadata: { name: 'w' },
        status: { release: 'w-1', conditions: [condition('Released', 'True', 'RolloutComplete')] },
      },
      [release('w-1', '2026-01-01T00:00:00Z'), release('w-2', '2026-01-03T00:00:00Z', 'b'.repeat(40))],
    )
    assert.deepEqual(running.release, { state: 'ok', text: 'running w-1' })
    assert.deepEqual(running.lastBuild, {
      release: 'w-2',
      commit: 'b'.repeat(40),
      branch: 'main',
      builtAt: '2026-01-03T00:00:00Z',
    })
    const rolledBack = webspaceStatusWords({
      metadata: { name: 'w' },
      status: { conditions: [condition('Released', 'True', 'RolledBack', 'w-2 made no progress; w-1 runs')] },
    })
    assert.deepEqual(rolledBack.release, { state: 'problem', text: 'w-2 made no progress; w-1 runs' })
  })

  it('no Releases, no last build', () => assert.equal(lastBuild([]), undefined))
})
