import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseRef } from './git-ref.js'
import { SyncError } from './sync-error.js'

describe('parseRef', () => {
  it('reads a full SHA-1 or SHA-256 id as a commit', () => {
    assert.deepEqual(parseRef('a'.repeat(40)), { kind: 'commit', commit: 'a'.repeat(40) })
    assert.equal(parseRef('b'.repeat(64)).kind, 'commit')
  })

  it('reads branch and tag names as names, including slashes and dots', () => {
    for (const ref of ['main', 'release/v1.2', 'v1.0.0', 'feature+x', 'abc123']) {
      assert.deepEqual(parseRef(ref), { kind: 'name', name: ref })
    }
  })

  const refused: [string, string][] = [
    ['refuses a ref that looks like an option', '--upload-pack=touch /tmp/x'],
    ['refuses a ref that is a short option', '-c'],
    ['refuses .. that could climb in refs/', 'heads/../../x'],
    ['refuses a reflog expression', 'main@{1}'],
    ['refuses revision syntax', 'main~1'],
    ['refuses a ref ending in .lock', 'main.lock'],
    ['refuses a hidden component', 'a/.hidden'],
    ['refuses a NUL byte', 'main\0'],
    ['refuses an empty ref', ''],
  ]
  for (const [name, ref] of refused) {
    it(name, () => {
      assert.throws(
        () => parseRef(ref),
        (e: unknown) => e instanceof SyncError && e.code === 'HP_ERR_SYNC_REF_INVALID',
      )
    })
  }
})
