import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Condition } from '../../api/conditions.js'
import type { Release, Webspace } from '../../api/resources.js'
import { release, webspace } from './fixtures.js'
import type { Deployment } from './plan.js'
import { decideRollout } from './rollout.js'

const [r1, r2, r3] = [release('1', 1), release('2', 2), release('3', 3)]

const released = (status: Condition['status'], reason: string, message = ''): Condition => ({
  type: 'Released',
  status,
  reason,
  message,
  lastTransitionTime: '2026-03-01T12:00:00Z',
})

/** A webspace whose status says it runs `running`, rolled out from `previous`. */
const running = (
  name: string | undefined,
  {
    previous,
    rollout = 'RolloutComplete',
    failed,
    spec = {},
  }: {
    previous?: string
    rollout?: 'RolloutComplete' | 'RolloutInProgress' | 'RolledBack'
    failed?: string[]
    spec?: Partial<Webspace['spec']>
  } = {},
): Webspace => ({
  ...webspace(spec),
  status: {
    ...(name ? { release: name } : {}),
    ...(previous ? { previousRelease: previous } : {}),
    ...(failed ? { failedReleases: failed } : {}),
    conditions: name
      ? [
          released(
            rollout === 'RolloutInProgress' ? 'Unknown' : rollout === 'RolledBack' ? 'False' : 'True',
            rollout,
          ),
        ]
      : [],
  },
})

/** The Deployment as the Deployment controller reports it for `image`. */
const deployment = (
  image: string,
  progressing: { status: Condition['status']; reason: string },
): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop', namespace: 'sh-acme', generation: 2 },
  spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
  status: {
    observedGeneration: 2,
    conditions: [
      { type: 'Progressing', ...progressing, message: `ReplicaSet "shop-x" ${progressing.reason}` },
    ],
  },
})
const stuck = (r: Release) =>
  deployment(r.spec.image, { status: 'False', reason: 'ProgressDeadlineExceeded' })
const complete = (r: Release) =>
  deployment(r.spec.image, { status: 'True', reason: 'NewReplicaSetAvailable' })

const decide = (ws: Webspace, releases: readonly Release[], live?: Deployment) =>
  decideRollout({ webspace: ws, releases, deployment: live })

describe('decideRollout', () => {
  it('runs no Release and writes no Released condition for a webspace that never had one', () => {
    const rollout = decide(webspace(), [])
    assert.equal(rollout.release, undefined)
    assert.deepEqual(rollout.status, {})
    assert.deepEqual(rollout.conditions, [])
  })

  it('rolls out the newest Release of the branch, gated, remembering what ran before', () => {
    const rollout = decide(running('shop-1'), [r1, r2])
    assert.equal(rollout.release, r2)
    assert.deepEqual(rollout.status, { release: 'shop-2', previousRelease: 'shop-1' })
    assert.deepEqual(
      rollout.conditions.map((c) => [c.status, c.reason]),
      [['Unknown', 'RolloutInProgress']],
    )
    assert.match(
      rollout.conditions[0]?.message ?? '',
      /rolling out Release shop-2 \(222222222222\), after shop-1; .* 300s/,
    )
  })

  it('ignores Releases of other branches', () => {
    const rollout = decide(running('shop-1'), [r1, release('9', 9, { branch: 'feature/x' })])
    assert.equal(rollout.release, r1)
  })

  it('marks the rollout complete once the Deployment runs the Release everywhere', () => {
    const rollout = decide(
      running('shop-2', { previous: 'shop-1', rollout: 'RolloutInProgress' }),
      [r1, r2],
      complete(r2),
    )
    assert.deepEqual(
      rollout.conditions.map((c) => [c.status, c.reason, c.message]),
      [['True', 'RolloutComplete', 'running Release shop-2 (222222222222)']],
    )
    assert.deepEqual(rollout.status, { release: 'shop-2', previousRelease: 'shop-1' })
  })

  it('stays in progress while the Deployment still runs the old image or has not seen the new one', () => {
    const ws = running('shop-2', { previous: 'shop-1', rollout: 'RolloutInProgress' })
    for (const live of [
      undefined,
      stuck(r1),
      { ...stuck(r2), status: { ...stuck(r2).status, observedGeneration: 1 } },
    ])
      assert.deepEqual(
        decide(ws, [r1, r2], live).conditions.map((c) => c.reason),
        ['RolloutInProgress'],
      )
  })

  it('goes back to the previous Release when the new one misses its progress deadline, and marks it failed', () => {
    const rollout = decide(
      running('shop-2', { previous: 'shop-1', rollout: 'RolloutInProgress' }),
      [r1, r2],
      stuck(r2),
    )
    assert.equal(rollout.release, r1)
    assert.deepEqual(rollout.status, {
      release: 'shop-1',
      previousRelease: 'shop-2',
      failedReleases: ['shop-2'],
    })
    const [condition] = rollout.conditions
    assert.equal(condition?.status, 'False')
    assert.equal(condition?.reason, 'RolledBack')
    assert.match(
      condition?.message ?? '',
      /^Release shop-2 \(222222222222\) made no progress to Available within 300s \(ReplicaSet "shop-x" ProgressDeadlineExceeded\): rolled back to Release shop-1 \(111111111111\)$/,
    )
  })

  it('keeps the rolled-back state as it is on the next pass: no retry of the failed Release, no change', () => {
    const ws = running('shop-1', { previous: 'shop-2', rollout: 'RolledBack', failed: ['shop-2'] })
    const rollout = decide(ws, [r1, r2], complete(r1))
    assert.equal(rollout.release, r1)
    assert.deepEqual(rollout.conditions, [
      { type: 'Released', status: 'False', reason: 'RolledBack', message: '' },
    ])
  })

  it('does not gate a rollout that completed: a later ProgressDeadlineExceeded rolls nothing back', () => {
    const rollout = decide(running('shop-2', { previous: 'shop-1' }), [r1, r2], stuck(r2))
    assert.equal(rollout.release, r2)
    assert.deepEqual(rollout.status.failedReleases, undefined)
  })

  it('rolls out a newer push after a failed one', () => {
    const ws = running('shop-1', { previous: 'shop-2', rollout: 'RolledBack', failed: ['shop-2'] })
    const rollout = decide(ws, [r1, r2, r3])
    assert.equal(rollout.release, r3)
    assert.deepEqual(rollout.status, {
      release: 'shop-3',
      previousRelease: 'shop-1',
      failedReleases: ['shop-2'],
    })
  })

  it('goes back to the prebuilt image when the first Release fails', () => {
    const rollout = decide(running('shop-1', { rollout: 'RolloutInProgress' }), [r1], stuck(r1))
    assert.equal(rollout.release, undefined)
    assert.deepEqual(rollout.status, { previousRelease: 'shop-1', failedReleases: ['shop-1'] })
    assert.match(rollout.conditions[0]?.message ?? '', /rolled back to the prebuilt image$/)
  })

  it('runs a pinned Release (manual rollback), gated like any new one', () => {
    const rollout = decide(running('shop-3', { previous: 'shop-2', spec: { release: 'shop-1' } }), [
      r1,
      r2,
      r3,
    ])
    assert.equal(rollout.release, r1)
    assert.deepEqual(rollout.status, { release: 'shop-1', previousRelease: 'shop-3' })
    assert.equal(rollout.conditions[0]?.reason, 'RolloutInProgress')
  })

  it('keeps what runs when the pin names no Release of the webspace, or one that failed, and says so', () => {
    const other = release('4', 4, { webspace: 'blog' })
    for (const [pin, reason] of [
      ['shop-7', 'ReleaseNotFound'],
      ['shop-2', 'ReleaseFailed'],
    ] as const) {
      const ws = running('shop-1', {
        previous: 'shop-2',
        rollout: 'RolledBack',
        failed: ['shop-2'],
        spec: { release: pin },
      })
      const rollout = decide(ws, [r1, r2], complete(r1))
      assert.equal(rollout.release, r1, pin)
      assert.deepEqual(
        rollout.conditions.map((c) => [c.status, c.reason]),
        [['False', reason]],
      )
    }
    // A Release of another webspace is not among its Releases at all (the cache files it elsewhere).
    assert.equal(decide(running('shop-1', { spec: { release: other.metadata.name } }), [r1]).release, r1)
  })

  it('when a pinned Release fails, goes back to the one that ran before the pin', () => {
    const ws = running('shop-1', {
      previous: 'shop-3',
      rollout: 'RolloutInProgress',
      spec: { release: 'shop-1' },
    })
    const rollout = decide(ws, [r1, r2, r3], stuck(r1))
    assert.equal(rollout.release, r3)
    assert.equal(rollout.conditions[0]?.reason, 'RolledBack')
  })

  it('prunes each branch beyond releaseHistory, never the running, previous or pinned Release', () => {
    const releases = ['1', '2', '3', '4', '5', '6'].map((d, i) => release(d, i))
    const feature = [release('7', 7, { branch: 'feature' }), release('8', 8, { branch: 'feature' })]
    const ws = running('shop-6', { previous: 'shop-1', spec: { releaseHistory: 2, release: 'shop-2' } })
    const rollout = decide(ws, [...releases, ...feature], complete(releases[1] as Release))
    // Pinned shop-2 runs now; shop-6 (was running) is previous, shop-5 is within the history.
    assert.deepEqual(rollout.prune.map((r) => r.metadata.name).sort(), ['shop-1', 'shop-3', 'shop-4'])
  })

  it('forgets failed Releases once they are deleted', () => {
    const ws = running('shop-1', { previous: 'shop-2', rollout: 'RolledBack', failed: ['shop-0', 'shop-2'] })
    assert.deepEqual(decide(ws, [r1, r2]).status.failedReleases, ['shop-2'])
  })
})
