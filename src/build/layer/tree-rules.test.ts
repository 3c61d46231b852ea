import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TreeEntry } from '../../syncer/tree-filter.js'
import { checkTree, DEFAULT_LAYER_LIMITS } from './tree-rules.js'

const file = (path: string, size = 10): TreeEntry => ({ mode: '100644', oid: 'x', size, path })
const link = (path: string): TreeEntry => ({ mode: '120000', oid: 'x', size: 5, path })
const submodule = (path: string): TreeEntry => ({ mode: '160000', oid: 'x', size: 0, path })

describe('checkTree', () => {
  const refused: [string, TreeEntry[], Record<string, string>, string][] = [
    ['a .git directory anywhere', [file('sub/.GIT/config')], {}, 'HP_ERR_BUILD_UNSAFE_PATH'],
    ['a .. segment a crafted tree could hold', [file('a/../../etc/x')], {}, 'HP_ERR_BUILD_UNSAFE_PATH'],
    ['an empty segment', [file('a//b')], {}, 'HP_ERR_BUILD_UNSAFE_PATH'],
    ['an absolute symlink', [link('passwd')], { passwd: '/etc/passwd' }, 'HP_ERR_BUILD_SYMLINK_OUTSIDE'],
    [
      'a symlink climbing above the app',
      [link('a/up')],
      { 'a/up': '../../x' },
      'HP_ERR_BUILD_SYMLINK_OUTSIDE',
    ],
    [
      'a symlink through a symlink that climbs',
      [link('d'), link('x')],
      { d: '..', x: 'd/etc' },
      'HP_ERR_BUILD_SYMLINK_OUTSIDE',
    ],
    ['more bytes than the limit', [file('a', 600), file('b', 600)], {}, 'HP_ERR_BUILD_TOO_LARGE'],
    ['more files than the limit', [file('a'), file('b'), file('c')], {}, 'HP_ERR_BUILD_TOO_MANY_FILES'],
  ]
  for (const [name, entries, targets, code] of refused)
    it(`refuses ${name}`, () => {
      assert.throws(
        () => checkTree(entries, new Map(Object.entries(targets)), { maxBytes: 1000, maxFiles: 2 }),
        {
          code,
        },
      )
    })

  it('names the largest files when the commit is too large', () => {
    assert.throws(
      () => checkTree([file('small', 1), file('big.bin', 2048)], new Map(), { maxBytes: 1024, maxFiles: 9 }),
      {
        message: /total 2.0 KiB, the limit is 1 KiB; largest: big\.bin \(2 KiB\), small \(1 bytes\)/,
      },
    )
  })

  it('accepts relative symlinks inside the app and reports submodules it leaves out', () => {
    const tree = checkTree(
      [file('index.html', 5), link('latest'), link('docs/up'), submodule('vendor/lib')],
      new Map([
        ['latest', 'index.html'],
        ['docs/up', '../index.html'],
      ]),
      DEFAULT_LAYER_LIMITS,
    )
    assert.deepEqual(tree, { files: 3, bytes: 15, submodules: ['vendor/lib'] })
  })
})
