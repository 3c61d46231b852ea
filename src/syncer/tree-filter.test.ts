import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SyncError } from './sync-error.js'
import { DEFAULT_LIMITS, filterTree, formatBytes, symlinkStaysInside, type TreeEntry } from './tree-filter.js'

const file = (path: string, size = 10): TreeEntry => ({ mode: '100644', oid: 'x', size, path })
const link = (path: string): TreeEntry => ({ mode: '120000', oid: 'x', size: 5, path })

describe('symlinkStaysInside', () => {
  const cases: [string, string, string, Record<string, string>, boolean][] = [
    ['a link to a sibling file stays inside', 'a.html', 'b.html', {}, true],
    ['a link into a subdirectory stays inside', 'a.html', 'docs/./b.html', {}, true],
    ['a link up and back down within the tree stays inside', 'docs/a', '../img/x.png', {}, true],
    ['an absolute link leaves', 'a', '/etc/passwd', {}, false],
    ['a link climbing above the root leaves', 'a', '../x', {}, false],
    ['a link into another site leaves', 'docs/a', '../../other--site/index.html', {}, false],
    ['a link through a symlinked directory that climbs out leaves', 'a', 'up/x', { up: '..' }, false],
    ['a link through a symlinked directory that stays inside stays inside', 'a', 'd/x', { d: 'docs' }, true],
    ['a chain ending in an absolute target leaves', 'a', 'b', { b: '/etc' }, false],
    ['a loop of symlinks is refused', 'a', 'b', { a: 'b', b: 'a' }, false],
    ['an empty target is refused', 'a', '', {}, false],
  ]
  for (const [name, path, target, others, expected] of cases) {
    it(name, () => {
      assert.equal(symlinkStaysInside(path, target, new Map(Object.entries(others))), expected)
    })
  }
})

describe('filterTree', () => {
  it('drops .git in any case and any depth, submodules and escaping symlinks, and says why', () => {
    const entries: TreeEntry[] = [
      file('index.html'),
      file('.git/config'),
      file('sub/.GIT/HEAD'),
      { mode: '160000', oid: 'c', size: 0, path: 'vendor/lib' },
      link('passwd'),
      link('ok'),
    ]
    const targets = new Map([
      ['passwd', '/etc/passwd'],
      ['ok', 'index.html'],
    ])
    const result = filterTree(entries, targets, DEFAULT_LIMITS)
    assert.deepEqual(
      result.entries.map((e) => e.path),
      ['index.html', 'ok'],
    )
    assert.deepEqual(
      result.dropped.map((d) => d.path),
      ['.git/config', 'sub/.GIT/HEAD', 'vendor/lib', 'passwd'],
    )
    assert.match(result.dropped[3]?.why ?? '', /leaves the site/)
  })

  const limits = { maxFileBytes: 100, maxSiteBytes: 250, maxFiles: 3 }
  const refusals: [string, TreeEntry[], string, RegExp][] = [
    [
      'refuses a file above the file size limit',
      [file('big', 101)],
      'HP_ERR_SYNC_FILE_TOO_LARGE',
      /big has 101 bytes/,
    ],
    [
      'refuses a site above the total size limit, naming the limit',
      [file('a', 100), file('b', 100), file('c', 100)],
      'HP_ERR_SYNC_SITE_TOO_LARGE',
      /site exceeds 250 bytes/,
    ],
    [
      'refuses a site with more files than allowed',
      [file('a'), file('b'), file('c'), file('d')],
      'HP_ERR_SYNC_TOO_MANY_FILES',
      /4 files, the limit is 3/,
    ],
  ]
  for (const [name, entries, code, message] of refusals) {
    it(name, () => {
      assert.throws(
        () => filterTree(entries, new Map(), limits),
        (error: unknown) => error instanceof SyncError && error.code === code && message.test(error.message),
      )
    })
  }

  it('drops crafted paths with a `..`, `.` or empty segment, which a checkout would skip unseen', () => {
    const crafted = ['..', 'a/../../etc/x', '.', 'a//b', 'a/./b']
    const result = filterTree(
      [file('index.html'), ...crafted.map((path) => file(path))],
      new Map(),
      DEFAULT_LIMITS,
    )
    assert.deepEqual(
      result.entries.map((e) => e.path),
      ['index.html'],
    )
    assert.deepEqual(
      result.dropped.map((d) => d.path),
      crafted,
    )
    assert.match(result.dropped[0]?.why ?? '', /`\.\.` path segment/)
  })

  it('counts dropped entries against no limit', () => {
    const result = filterTree([file('a'), file('.git/x', 1000)], new Map(), limits)
    assert.equal(result.bytes, 10)
  })
})

describe('formatBytes', () => {
  it('says 1 GiB for the default site limit, the way the failure message reads', () => {
    assert.equal(formatBytes(DEFAULT_LIMITS.maxSiteBytes), '1 GiB')
    assert.equal(formatBytes(1536), '1.5 KiB')
  })
})
