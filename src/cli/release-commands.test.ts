import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Webspace } from '../api/resources.js'
import { release, webspace } from '../operator/webspace/fixtures.js'
import { age, releaseState, releasesTable } from './release-commands.js'

const now = new Date('2026-03-01T14:00:00Z')
const shop = (status: Webspace['status'], spec: Partial<Webspace['spec']> = {}): Webspace => ({
  ...webspace(spec),
  status,
})

describe('hostplane releases', () => {
  it('shows ages as kubectl does', () => {
    for (const [created, shown] of [
      ['2026-03-01T13:59:15Z', '45s'],
      ['2026-03-01T13:48:00Z', '12m'],
      ['2026-03-01T09:00:00Z', '5h'],
      ['2026-02-26T14:00:00Z', '3d'],
    ] as const)
      assert.equal(age(created, now), shown)
  })

  it('names the running, previous, failed and pinned Release', () => {
    const ws = shop(
      { release: 'shop-1', previousRelease: 'shop-2', failedReleases: ['shop-2'] },
      { release: 'shop-1' },
    )
    assert.equal(releaseState(ws, release('1', 1)), 'running,pinned')
    assert.equal(releaseState(ws, release('2', 2)), 'previous,failed')
    assert.equal(releaseState(ws, release('3', 3)), '')
  })

  it('prints one padded row per Release with a short digest and the pusher', () => {
    const table = releasesTable(shop({ release: 'shop-1' }), [release('2', 2), release('1', 1)], now)
    assert.equal(
      table,
      [
        'NAME     BRANCH   COMMIT         IMAGE                                              PUSHED BY                       AGE    STATE',
        'shop-2   main     222222222222   registry.test/hostplane/acme@sha256:222222222222   laptop (SHA256:AAAAAAAAAAAA…)   118m',
        'shop-1   main     111111111111   registry.test/hostplane/acme@sha256:111111111111   laptop (SHA256:AAAAAAAAAAAA…)   119m   running',
      ].join('\n'),
    )
  })
})
