import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { PublishStore } from '../syncer/publish-store.js'
import type { FeedState, TreeManifest } from './feed-protocol.js'
import { feedRoutes } from './feed-routes.js'
import { PublishedRevisions } from './published-revisions.js'

const TOKEN = 'mirror-token'
const COMMIT = 'c'.repeat(40)
const PAGE = '<h1>hello</h1>\n'
const sha = (text: string) => createHash('sha256').update(text).digest('hex')
const auth = { authorization: `Bearer ${TOKEN}` }

describe('the mirror feed on the syncer', () => {
  let dir: string
  let store: PublishStore
  let revisions: PublishedRevisions
  let app: FastifyInstance
  let syncerReady = false
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostplane-feed-'))
    revisions = new PublishedRevisions()
    store = new PublishStore({ root: join(dir, 'sites'), onChange: revisions.changed })
    await store.recover()
    const staged = await store.stage('ns--site')
    await writeFile(join(staged, 'index.html'), PAGE)
    await store.publish('ns--site', staged, COMMIT, '/')
    await writeFile(join(dir, 'secret'), 'not published')
    app = Fastify()
    await app.register(feedRoutes, {
      store,
      revisions,
      token: TOKEN,
      known: () => ['ns--site', 'ns--new'],
      ready: () => syncerReady,
      waitMs: 200,
    })
  })
  after(async () => {
    await app.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('answers 503 until the syncer has handled every site once, so no site looks deleted', async () => {
    const answer = await app.inject({ url: '/mirror/v1/revisions', headers: auth })
    assert.equal(answer.statusCode, 503)
    syncerReady = true
  })

  it('lists each site’s served revision and the sites with none yet; a manifest names every file by sha256', async () => {
    const state = (await app.inject({ url: '/mirror/v1/revisions', headers: auth })).json<FeedState>()
    assert.deepEqual(
      state.sites.map(({ key, tree, commit, path }) => ({ key, tree, commit, path })),
      [{ key: 'ns--site', tree: COMMIT, commit: COMMIT, path: '/' }],
    )
    assert.deepEqual(state.pending, ['ns--new'])
    const manifest = (
      await app.inject({ url: `/mirror/v1/sites/ns--site/trees/${COMMIT}`, headers: auth })
    ).json<TreeManifest>()
    assert.deepEqual(manifest, {
      files: [{ path: 'index.html', size: PAGE.length, sha256: sha(PAGE), executable: false }],
      symlinks: [],
    })
    const blob = await app.inject({
      url: `/mirror/v1/sites/ns--site/trees/${COMMIT}/blobs/${sha(PAGE)}`,
      headers: auth,
    })
    assert.equal(blob.body, PAGE)
  })

  it('holds a revisions request while nothing changes and answers at once when a site is removed', async () => {
    const { version } = (await app.inject({ url: '/mirror/v1/revisions', headers: auth })).json<FeedState>()
    const started = Date.now()
    const unchanged = (
      await app.inject({ url: `/mirror/v1/revisions?after=${version}`, headers: auth })
    ).json<FeedState>()
    assert.equal(unchanged.version, version)
    assert.ok(Date.now() - started >= 150, 'the request was not held')
    const held = app.inject({ url: `/mirror/v1/revisions?after=${version}`, headers: auth })
    await store.remove('ns--gone')
    const changed = (await held).json<FeedState>()
    assert.notEqual(changed.version, version)
  })

  const refusals: [string, string, Record<string, string>, number][] = [
    ['a request without the token', '/mirror/v1/revisions', {}, 401],
    ['a wrong token', '/mirror/v1/revisions', { authorization: 'Bearer nope' }, 401],
    ['the token as Basic credentials', '/mirror/v1/revisions', { authorization: `Basic ${TOKEN}` }, 401],
    ['a key climbing out of the trees', `/mirror/v1/sites/..%2F..%2F/trees/${COMMIT}`, auth, 404],
    ['a tree that is not a tree id', '/mirror/v1/sites/ns--site/trees/..', auth, 404],
    ['the store’s history file', '/mirror/v1/sites/ns--site/trees/revisions.json', auth, 404],
    ['a tree the store does not keep', `/mirror/v1/sites/ns--site/trees/${'d'.repeat(40)}`, auth, 404],
    [
      'a blob the tree does not hold',
      `/mirror/v1/sites/ns--site/trees/${COMMIT}/blobs/${sha('x')}`,
      auth,
      404,
    ],
  ]
  for (const [name, url, headers, status] of refusals)
    it(`refuses ${name} (${status})`, async () => {
      const answer = await app.inject({ url, headers })
      assert.equal(answer.statusCode, status)
      assert.doesNotMatch(answer.body, /not published|hello/)
    })
})
