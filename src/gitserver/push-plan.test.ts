import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { webspace } from '../operator/webspace/fixtures.js'
import { type RefUpdate, ZERO_COMMIT } from './push-gate.js'
import { MAX_BUILDS_PER_PUSH, planPush } from './push-plan.js'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const push = (ref: string, newCommit = B, oldCommit = A): RefUpdate => ({ ref, oldCommit, newCommit })
const previews = webspace({ git: { branch: 'main', previews: { enabled: true, ttl: '24h' } } })

describe('what a push asks for', () => {
  it('builds the Webspace branch, also when it is created', () => {
    assert.deepEqual(planPush(webspace(), [push('refs/heads/main', B, ZERO_COMMIT)]), {
      ok: true,
      actions: [{ kind: 'build', branch: 'main', commit: B, preview: false }],
    })
  })

  it('refuses to delete the deployed branch, saying how to move it', () => {
    const plan = planPush(webspace(), [push('refs/heads/main', ZERO_COMMIT)])
    assert.equal(plan.ok, false)
    assert.match(plan.ok ? '' : plan.message, /deploys main; deleting it is refused \(set spec\.git\.branch/)
  })

  it('stores other branches and tags without deploying while previews are off', () => {
    const plan = planPush(webspace(), [push('refs/heads/feature'), push('refs/tags/v1')])
    assert.deepEqual(plan.ok && plan.actions.map((a) => a.kind === 'store' && a.note), [
      'refs/heads/feature stored, not deployed: only main deploys (branch previews are off: spec.git.previews.enabled)',
      'refs/tags/v1 stored; tags are not deployed',
    ])
  })

  it('builds a preview of another branch and removes it when the branch is deleted, when previews are on', () => {
    assert.deepEqual(
      planPush(previews, [push('refs/heads/feature/login'), push('refs/heads/old', ZERO_COMMIT)]),
      {
        ok: true,
        actions: [
          { kind: 'build', branch: 'feature/login', commit: B, preview: true },
          { kind: 'remove-preview', branch: 'old' },
        ],
      },
    )
  })

  it('refuses refs outside branches and tags, and branch names a Release cannot hold', () => {
    for (const [ref, says] of [
      ['refs/notes/commits', /only branches \(refs\/heads\/…\) and tags/],
      ['refs/pull/1/head', /only branches/],
      ['refs/heads/-rf', /not starting with '-'/],
      ['refs/heads/a..b', /no '\.\.'/],
      ['refs/heads/ünïcode', /letters, digits/],
    ] as const) {
      const plan = planPush(previews, [push(ref)])
      assert.equal(plan.ok, false, ref)
      assert.match(plan.ok ? '' : plan.message, says)
    }
  })

  it(`builds at most ${MAX_BUILDS_PER_PUSH} branches in one push`, () => {
    const refs = ['main', 'a', 'b', 'c'].map((b) => push(`refs/heads/${b}`))
    const plan = planPush(previews, refs)
    assert.equal(plan.ok, false)
    assert.match(plan.ok ? '' : plan.message, /would build 4 branches; push at most 3/)
  })

  it('refuses an update that is not a commit id', () => {
    assert.equal(planPush(webspace(), [push('refs/heads/main', 'HEAD')]).ok, false)
  })
})
