import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { treeId } from '../syncer/publish-store.js'
import { DEFAULT_LIMITS } from '../syncer/tree-filter.js'
import { parseFeedState, parseManifest } from './feed-protocol.js'
import { MirrorError } from './mirror-error.js'

const COMMIT = 'a'.repeat(40)
const SHA = 'b'.repeat(64)
const site = (overrides: Record<string, unknown> = {}) => ({
  key: 'ns--site',
  tree: COMMIT,
  commit: COMMIT,
  path: '/',
  publishedAt: '2026-12-05T12:00:00.000Z',
  ...overrides,
})
const file = (path: string, size = 10) => ({ path, size, sha256: SHA, executable: false })

const refused = (run: () => unknown, pattern: RegExp) =>
  assert.throws(
    run,
    (error) =>
      error instanceof MirrorError &&
      error.code === 'HP_ERR_MIRROR_FEED_INVALID' &&
      pattern.test(error.message),
  )

describe('parseFeedState', () => {
  it('accepts sites whose tree is their commit and path’s', () => {
    const docs = site({ key: 'ns--docs', path: '/docs', tree: treeId(COMMIT, '/docs') })
    assert.deepEqual(parseFeedState({ version: 'e.1', sites: [site(), docs], pending: ['ns--new'] }, 10), {
      version: 'e.1',
      sites: [site(), docs],
      pending: ['ns--new'],
    })
  })
  const refusals: [string, unknown, RegExp][] = [
    ['a body without version', { sites: [], pending: [] }, /without a version/],
    ['a body without pending sites', { version: 'v', sites: [] }, /without a version/],
    [
      'a pending key that is not a site key',
      { version: 'v', sites: [], pending: ['a/../b'] },
      /not a site key/,
    ],
    [
      'a key that would climb out of the sites root',
      { version: 'v', pending: [], sites: [site({ key: '../etc' })] },
      /not a site key/,
    ],
    [
      'a key naming the store’s own directory',
      { version: 'v', pending: [], sites: [site({ key: '.hostplane' })] },
      /not a site key/,
    ],
    ['a key listed twice', { version: 'v', pending: [], sites: [site(), site()] }, /listed twice/],
    [
      'a tree that is not its commit’s',
      { version: 'v', pending: [], sites: [site({ tree: 'c'.repeat(40) })] },
      /not the tree of its commit/,
    ],
    [
      'a tree naming a path',
      { version: 'v', pending: [], sites: [site({ tree: '../x', commit: '../x' })] },
      /not the tree/,
    ],
    [
      'more sites than allowed',
      { version: 'v', pending: [], sites: [site(), site({ key: 'b' }), site({ key: 'c' })] },
      /--max-sites 2/,
    ],
  ]
  for (const [name, body, pattern] of refusals)
    it(`refuses ${name}`, () => refused(() => parseFeedState(body, 2), pattern))
})

describe('parseManifest', () => {
  it('accepts files and symlinks that stay inside the tree', () => {
    const body = {
      files: [file('index.html'), file('docs/a.html')],
      symlinks: [{ path: 'latest', target: 'docs' }],
    }
    assert.deepEqual(parseManifest('ns--site', body, DEFAULT_LIMITS), body)
  })
  const limits = { maxFiles: 3, maxFileBytes: 100, maxSiteBytes: 150 }
  const refusals: [string, unknown, RegExp][] = [
    ['a path climbing out of the tree', { files: [file('../x')], symlinks: [] }, /unsafe/],
    ['an absolute path', { files: [file('/etc/passwd')], symlinks: [] }, /unsafe/],
    ['git metadata', { files: [file('a/.Git/config')], symlinks: [] }, /unsafe/],
    ['a path listed twice', { files: [file('a'), file('a')], symlinks: [] }, /listed twice/],
    [
      'a file under a symlink',
      { files: [file('d/x')], symlinks: [{ path: 'd', target: 'e' }] },
      /under a file or symlink/,
    ],
    [
      'a symlink that leaves the site',
      { files: [], symlinks: [{ path: 'p', target: '../../other--site/x' }] },
      /leaves the site/,
    ],
    ['a file larger than the limit', { files: [file('a', 101)], symlinks: [] }, /beyond the limit/],
    [
      'a site larger than the limit',
      { files: [file('a', 100), file('b', 100)], symlinks: [] },
      /adds up to 200 bytes/,
    ],
    [
      'more entries than the limit',
      { files: [file('a'), file('b'), file('c'), file('d')], symlinks: [] },
      /4 entries/,
    ],
    [
      'a file without sha256',
      { files: [{ path: 'a', size: 1, sha256: 'x' }], symlinks: [] },
      /without a sha256/,
    ],
  ]
  for (const [name, body, pattern] of refusals)
    it(`refuses ${name}`, () => refused(() => parseManifest('ns--site', body, limits), pattern))
})
