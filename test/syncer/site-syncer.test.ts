import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { SiteSource } from '../../src/syncer/site-syncer.js'
import { SyncError, type SyncErrorCode } from '../../src/syncer/sync-error.js'
import { GitFixture, served, servedTree } from './git-fixture.js'

/** Bytes of all files below `dir`. */
async function diskBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const sizes = await Promise.all(
    entries.filter((e) => e.isFile()).map(async (e) => (await stat(join(e.parentPath, e.name))).size),
  )
  return sizes.reduce((sum, size) => sum + size, 0)
}

const rejectsWith = (code: SyncErrorCode, message: RegExp) => (error: unknown) => {
  assert.ok(error instanceof SyncError, String(error))
  assert.equal(error.code, code, error.message)
  assert.match(error.message, message)
  return true
}

describe('the sync engine against a real git host', () => {
  let fx: GitFixture
  before(async () => {
    fx = await GitFixture.start()
  })
  after(() => fx.stop())

  const site = (key: string, repo: string, extra: Partial<SiteSource> = {}): SiteSource => ({
    id: key.replace('--', '/'),
    key,
    repo: fx.url(repo),
    ref: 'main',
    path: '/',
    ...extra,
  })

  it('publishes a branch, then only asks ls-remote while nothing changed, and fetches on change', async () => {
    const first = await fx.repos.create('basic.git', { 'index.html': 'one' })
    const { syncer, root } = await fx.engine('basic')
    const published = await syncer.sync(site('ns--basic', 'basic.git'))
    assert.equal(published.action, 'published')
    assert.equal(published.commit, first)
    assert.equal(await served(root, 'ns--basic', 'index.html'), 'one')
    assert.deepEqual(fx.server.countsOf('basic.git').fetches, 1)

    const again = await syncer.sync(site('ns--basic', 'basic.git'))
    assert.equal(again.action, 'unchanged')
    assert.deepEqual(fx.server.countsOf('basic.git').fetches, 1, 'an unchanged poll fetches nothing')

    await fx.repos.commit('basic.git', { 'index.html': 'two' })
    assert.equal((await syncer.sync(site('ns--basic', 'basic.git'))).action, 'published')
    assert.equal(await served(root, 'ns--basic', 'index.html'), 'two')
    assert.equal(fx.server.countsOf('basic.git').fetches, 2)
  })

  it('keeps the last 3 revisions, removes older trees, and rolls back to a kept commit without any git call', async () => {
    await fx.repos.create('rollback.git')
    const { syncer, root } = await fx.engine('rollback')
    const commits: string[] = []
    for (const n of [1, 2, 3, 4]) {
      commits.push(await fx.repos.commit('rollback.git', { 'index.html': `v${n}` }))
      await syncer.sync(site('ns--rb', 'rollback.git'))
    }
    const trees = await readdir(join(root, '.hostplane', 'trees', 'ns--rb'))
    assert.deepEqual(trees.filter((t) => t !== 'revisions.json').sort(), commits.slice(1).sort())

    const before = fx.server.countsOf('rollback.git')
    const rolled = await syncer.sync(site('ns--rb', 'rollback.git', { ref: commits[1] }))
    assert.equal(rolled.action, 'rolled-back')
    assert.equal(await served(root, 'ns--rb', 'index.html'), 'v2')
    assert.deepEqual(
      fx.server.countsOf('rollback.git'),
      before,
      'a rollback to a kept commit talks to no git host',
    )
    assert.deepEqual(
      rolled.revisions.map((r) => r.commit),
      [commits[1], commits[3], commits[2]],
    )
    const again = await syncer.sync(site('ns--rb', 'rollback.git', { ref: commits[1] }))
    assert.equal(again.action, 'unchanged', 'a pinned commit already served is left alone')
    assert.deepEqual(again.revisions, rolled.revisions)
  })

  it('compacts a site’s git mirror, so it does not grow with every fetched commit', async () => {
    const first = await fx.repos.create('grow.git', { 'index.html': 'v0', 'a.txt': 'a0' })
    const { syncer, root } = await fx.engine('grow', { mirrorMaxPacks: 2 })
    await syncer.sync(site('ns--grow', 'grow.git'))
    for (const n of [1, 2, 3]) {
      await fx.repos.commit('grow.git', { 'index.html': `v${n}`, 'a.txt': `a${n}` })
      await syncer.sync(site('ns--grow', 'grow.git'))
    }
    const mirror = join(fx.dir, 'grow', 'work', 'mirrors', 'ns--grow.git')
    const { status } = spawnSync('git', ['-C', mirror, 'cat-file', '-e', `${first}^{commit}`])
    assert.notEqual(status, 0, 'the first commit was pruned from the mirror')
    assert.equal(await served(root, 'ns--grow', 'index.html'), 'v3')
  })

  it('publishes tags (annotated too) and the spec.path subdirectory, and names a missing path', async () => {
    const commit = await fx.repos.create('tags.git', { 'docs/index.html': 'docs', 'README.md': 'readme' })
    await fx.repos.tag('tags.git', 'v1.0.0', commit as string, true)
    const { syncer, root } = await fx.engine('tags')
    const result = await syncer.sync(site('ns--tags', 'tags.git', { ref: 'v1.0.0', path: '/docs/' }))
    assert.equal(result.commit, commit)
    assert.equal(await served(root, 'ns--tags', 'index.html'), 'docs')
    assert.ok(!existsSync(join(root, 'ns--tags', 'README.md')))
    await assert.rejects(
      syncer.sync(site('ns--tags2', 'tags.git', { path: '/missing' })),
      rejectsWith('HP_ERR_SYNC_PATH_NOT_FOUND', /path not found/),
    )
    await assert.rejects(
      syncer.sync(site('ns--tags3', 'tags.git', { ref: 'nope' })),
      rejectsWith('HP_ERR_SYNC_REF_NOT_FOUND', /ref not found/),
    )
  })

  it('reads a private repository with basic auth, says "authentication failed" otherwise, and never puts the password in an argument', async () => {
    await fx.repos.create('private.git', { 'index.html': 'secret page' })
    const account = { username: 'tenant', password: 'pa55-w0rd-never-in-argv' }
    fx.server.makePrivate('private.git', account)
    const spawned: string[] = []
    const { syncer, root } = await fx.engine('private', {
      onGitSpawn: (args) => spawned.push(args.join(' ')),
    })
    await assert.rejects(
      syncer.sync(site('ns--priv', 'private.git')),
      rejectsWith('HP_ERR_SYNC_AUTH_FAILED', /authentication failed: the repository needs credentials/),
    )
    await assert.rejects(
      syncer.sync(
        site('ns--priv', 'private.git', {
          credentials: async () => ({ kind: 'basic', username: 'tenant', password: 'wrong' }),
        }),
      ),
      rejectsWith('HP_ERR_SYNC_AUTH_FAILED', /authentication failed: the host refused the credentials/),
    )
    await syncer.sync(
      site('ns--priv', 'private.git', { credentials: async () => ({ kind: 'basic', ...account }) }),
    )
    assert.equal(await served(root, 'ns--priv', 'index.html'), 'secret page')
    assert.ok(spawned.length > 0)
    assert.ok(!spawned.some((args) => args.includes(account.password) || args.includes('wrong')))
  })

  it('drops symlinks leaving the tree (absolute, ../, into another site, via other links, overlong) and reports them; keeps inner links', async () => {
    await fx.repos.create('hostile-links.git', {
      'index.html': 'home',
      absolute: { symlink: '/etc/passwd' },
      parent: { symlink: '../../../../etc/hostname' },
      neighbour: { symlink: '../ns--basic/index.html' },
      up: { symlink: '..' },
      'via-up': { symlink: 'up/ns--basic/index.html' },
      inner: { symlink: 'index.html' },
      huge: { symlink: 'a/'.repeat(5000) },
    })
    const { syncer, root } = await fx.engine('links')
    const result = await syncer.sync(site('ns--links', 'hostile-links.git'))
    assert.deepEqual(result.dropped.map((d) => d.path).sort(), [
      'absolute',
      'huge',
      'neighbour',
      'parent',
      'up',
      'via-up',
    ])
    assert.ok(result.dropped.every((d) => /leaves the site/.test(d.why)))
    const published = await readdir(join(root, 'ns--links'))
    assert.deepEqual(published.sort(), ['index.html', 'inner'])
    assert.equal(await served(root, 'ns--links', 'inner'), 'home')
  })

  it('never publishes .git (any case, any depth) and does not fetch submodules', async () => {
    await fx.repos.create('hostile-git.git', {
      'index.html': 'home',
      '.git/config': '[core]\n\thooksPath = /tmp\n',
      'deep/.GIT/HEAD': 'ref: refs/heads/main',
      'vendor/lib': { submodule: 'a'.repeat(40) },
    })
    const { syncer, root } = await fx.engine('dotgit')
    const result = await syncer.sync(site('ns--dotgit', 'hostile-git.git'))
    assert.deepEqual(result.dropped.map((d) => d.path).sort(), [
      '.git/config',
      'deep/.GIT/HEAD',
      'vendor/lib',
    ])
    const all = await readdir(join(root, 'ns--dotgit'), { recursive: true })
    assert.deepEqual(all.sort(), ['index.html'])
  })

  it('reports crafted entries that are not published: a `..` name, and NTFS names of .git that git itself skips', async () => {
    await fx.repos.create('hostile-names.git', {
      'index.html': 'home',
      '..': 'up',
      'a/../x': 'up',
      'GIT~1/config': '[core]',
      '.git./HEAD': 'ref',
    })
    const { syncer, root } = await fx.engine('names')
    const result = await syncer.sync(site('ns--names', 'hostile-names.git'))
    assert.deepEqual(result.dropped.map((d) => `${d.path}: ${d.why}`).sort(), [
      '..: an empty, `.` or `..` path segment is never published',
      '.git./HEAD: git refuses to check out this path',
      'GIT~1/config: git refuses to check out this path',
      'a/../x: an empty, `.` or `..` path segment is never published',
    ])
    const all = await readdir(join(root, 'ns--names'), { recursive: true })
    assert.deepEqual(all.sort(), ['index.html'])
  })

  it('refuses sites over the configured size, file size and file count limits, and stops fetches at twice the site limit', async () => {
    await fx.repos.create('big.git', { 'a.bin': 'x'.repeat(600), 'b.bin': 'y'.repeat(600) })
    await fx.repos.create(
      'many.git',
      Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.txt`, 'x'])),
    )
    const { syncer, root } = await fx.engine('limits', {
      limits: { maxSiteBytes: 1024, maxFileBytes: 700, maxFiles: 5 },
    })
    await assert.rejects(
      syncer.sync(site('ns--big', 'big.git')),
      rejectsWith('HP_ERR_SYNC_SITE_TOO_LARGE', /site exceeds 1 KiB/),
    )
    await assert.rejects(
      syncer.sync(site('ns--many', 'many.git')),
      rejectsWith('HP_ERR_SYNC_TOO_MANY_FILES', /6 files, the limit is 5/),
    )
    const small = await fx.engine('limits-file', { limits: { maxFileBytes: 100 } })
    await assert.rejects(
      small.syncer.sync(site('ns--big', 'big.git')),
      rejectsWith('HP_ERR_SYNC_FILE_TOO_LARGE', /a.bin has 600 bytes/),
    )
    assert.ok(!existsSync(join(root, 'ns--big')), 'nothing is published for a refused site')
    await fx.repos.create('huge.git', { 'noise.bin': randomBytes(600 * 1024) })
    const bounded = await fx.engine('limits-fetch', { limits: { maxSiteBytes: 100 * 1024 } })
    await assert.rejects(
      bounded.syncer.sync(site('ns--huge', 'huge.git')),
      rejectsWith('HP_ERR_SYNC_SITE_TOO_LARGE', /site exceeds the fetch limit/),
    )
  })

  it('bounds what one fetch writes in total: many small files over the fetch limit stop at it, and retries leave no more on disk', async () => {
    const files = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`f${i}.bin`, randomBytes(16 * 1024)]),
    )
    await fx.repos.create('many-small.git', files)
    const maxSiteBytes = 128 * 1024
    const { syncer, root } = await fx.engine('fetch-total', { limits: { maxSiteBytes } })
    const mirror = join(fx.dir, 'fetch-total', 'work', 'mirrors', 'ns--small.git')
    for (const attempt of [1, 2, 3]) {
      await assert.rejects(
        syncer.sync(site('ns--small', 'many-small.git')),
        rejectsWith('HP_ERR_SYNC_SITE_TOO_LARGE', /site exceeds the fetch limit/),
      )
      const onDisk = await diskBytes(mirror)
      assert.ok(onDisk < 2 * maxSiteBytes, `attempt ${attempt}: the mirror holds ${onDisk} bytes`)
    }
    assert.ok(!existsSync(join(root, 'ns--small')), 'nothing is published')
  })

  it('refuses ext::, file://, hosts outside the list, redirects, loopback without explicit allowance, and refs that look like options', async () => {
    await fx.repos.create('target.git', { 'index.html': 'x' })
    const { syncer } = await fx.engine('refusals')
    const cases: [Partial<SiteSource>, SyncErrorCode, RegExp][] = [
      [{ repo: 'ext::sh -c "touch /tmp/hostplane-pwned"' }, 'HP_ERR_SYNC_TRANSPORT_REFUSED', /refused/],
      [
        { repo: `file://${fx.repos.gitDir('target.git')}` },
        'HP_ERR_SYNC_TRANSPORT_REFUSED',
        /file transport/,
      ],
      [
        { repo: fx.server.url('target.git', 'localhost') },
        'HP_ERR_SYNC_HOST_NOT_ALLOWED',
        /host not allowed: localhost/,
      ],
      [
        { repo: fx.server.redirectUrl('target.git', 'localhost') },
        'HP_ERR_SYNC_REDIRECT_REFUSED',
        /redirect refused/,
      ],
      [{ ref: '--upload-pack=touch /tmp/hostplane-pwned' }, 'HP_ERR_SYNC_REF_INVALID', /starts with '-'/],
    ]
    for (const [override, code, message] of cases) {
      await assert.rejects(
        syncer.sync(site('ns--refused', 'target.git', override)),
        rejectsWith(code, message),
      )
    }
    const strict = await fx.engine('strict', { allowedPrivateNetworks: [] })
    await assert.rejects(
      strict.syncer.sync(site('ns--strict', 'target.git')),
      rejectsWith('HP_ERR_SYNC_HOST_NOT_ALLOWED', /resolves to the internal address 127.0.0.1/),
    )
    assert.ok(!existsSync('/tmp/hostplane-pwned'))
  })

  it('gives up on a host that accepts the connection and never answers, as a transient timeout', async () => {
    const { syncer } = await fx.engine('hang', { timeouts: { lsRemoteMs: 1500 } })
    const started = Date.now()
    await assert.rejects(
      syncer.sync({
        id: 'ns/hang',
        key: 'ns--hang',
        repo: fx.server.hangingUrl('x.git'),
        ref: 'main',
        path: '/',
      }),
      (error: unknown) =>
        error instanceof SyncError && error.code === 'HP_ERR_SYNC_TIMEOUT' && error.retry === 'transient',
    )
    assert.ok(Date.now() - started < 5000)
  })

  it('makes sites wait for a busy host’s slot in due order, reading their credentials only once they hold it; one that leaves the queue reads nothing', async () => {
    await fx.repos.create('queued.git', { 'index.html': 'queued' })
    const { syncer, root } = await fx.engine('queued', {
      concurrency: { global: 1, perHost: 1 },
      timeouts: { lsRemoteMs: 1500 },
    })
    // Who read its credentials, in order: a site does so right after it got its slot.
    const holders: string[] = []
    let holding: () => void = () => undefined
    const held = new Promise<void>((resolve) => {
      holding = resolve
    })
    const queued = (key: string, due?: number, signal?: AbortSignal) =>
      syncer.sync(
        site(key, 'queued.git', {
          credentials: async () => {
            holders.push(key)
            return undefined
          },
        }),
        { due, signal },
      )
    const hang = syncer.sync({
      id: 'ns/busy',
      key: 'ns--busy',
      repo: fx.server.hangingUrl('x.git'),
      ref: 'main',
      path: '/',
      credentials: async () => {
        holders.push('ns--busy')
        holding()
        return undefined
      },
    })
    await held
    const leaving = new AbortController()
    const late = queued('ns--late', Date.now())
    const left = queued('ns--left', Date.now() - 120_000, leaving.signal)
    const early = queued('ns--early', Date.now() - 60_000)
    leaving.abort(new Error('the site changed'))
    await assert.rejects(left, /the site changed/)
    assert.deepEqual(holders, ['ns--busy'], 'no waiting site read its credentials')
    await assert.rejects(
      hang,
      (error: unknown) => error instanceof SyncError && error.code === 'HP_ERR_SYNC_TIMEOUT',
    )
    assert.equal((await early).action, 'published')
    assert.equal((await late).action, 'published')
    assert.deepEqual(holders, ['ns--busy', 'ns--early', 'ns--late'])
    assert.equal(await served(root, 'ns--late', 'index.html'), 'queued')
    assert.ok(!existsSync(join(root, 'ns--left')), 'the site that left was never synced')
  })

  it('removes a deleted site, and at start removes half-written trees and unreferenced trees', async () => {
    await fx.repos.create('recover.git', { 'index.html': 'ok' })
    const { syncer, root } = await fx.engine('recover')
    await syncer.sync(site('ns--rec', 'recover.git'))
    const tree = await servedTree(root, 'ns--rec')
    const staging = join(root, '.hostplane', 'staging', 'ns--rec.123-half')
    const orphan = join(root, '.hostplane', 'trees', 'ns--rec', 'b'.repeat(40))
    for (const dir of [staging, orphan]) {
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, 'index.html'), 'half')
    }
    const restarted = await fx.engine('recover')
    assert.ok(!existsSync(staging) && !existsSync(orphan))
    assert.equal(await servedTree(root, 'ns--rec'), tree)
    assert.equal(await served(root, 'ns--rec', 'index.html'), 'ok')
    await restarted.syncer.remove('ns--rec')
    assert.ok(!existsSync(join(root, 'ns--rec')))
    assert.ok(!existsSync(join(root, '.hostplane', 'trees', 'ns--rec')))
  })
})
