/**
 * Torn reads: while 50 commits are published one after the other through the real engine, a
 * reader keeps fetching a set of files. Every file read must be one revision's complete file, and
 * every set read through one resolution of the site's link must be one revision's files. Then the
 * same through the built-in static server, keeping only one revision: no response may be cut
 * short by the publish that deletes the tree it was being read from.
 */
import assert from 'node:assert/strict'
import { chmod, readFile, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { nginxPrefix } from '../../src/api/site-key.js'
import { servedSite } from '../../src/serve/served-site.js'
import { StaticServer } from '../../src/serve/static-server.js'
import type { SiteSource } from '../../src/syncer/site-syncer.js'
import { nginxUnavailable, startNginx } from '../serving/nginx-for-tests.js'
import { GitFixture } from './git-fixture.js'
import { content, FILES, files, getFile, responseProblem, revisionOf } from './torn-content.js'

const PUBLISHES = 50

describe('torn reads during 50 publishes', () => {
  let fx: GitFixture
  before(async () => {
    fx = await GitFixture.start()
  })
  after(() => fx.stop())

  it('lets every read see exactly one complete revision', async () => {
    await fx.repos.create('torn.git', files(0))
    const { syncer, root } = await fx.engine('torn')
    const site = { id: 'ns/torn', key: 'ns--torn', repo: fx.url('torn.git'), ref: 'main', path: '/' }
    await syncer.sync(site)

    let publishing = true
    const seen = new Set<number>()
    const problems: string[] = []
    let reads = 0
    const reader = (async () => {
      while (publishing) {
        for (const file of FILES) {
          const text = await readFile(join(root, site.key, file), 'utf8').catch(
            (e: Error) => `error ${e.message}`,
          )
          const revision = revisionOf(text)
          if (text !== content(revision, file))
            problems.push(`${file}: torn or missing (${text.slice(0, 60)})`)
          seen.add(revision)
          reads++
        }
        const tree = await realpath(join(root, site.key))
        const set = await Promise.all(FILES.map((f) => readFile(join(tree, f), 'utf8')))
        const revisions = new Set(set.map(revisionOf))
        if (revisions.size !== 1) problems.push(`one tree mixed revisions ${[...revisions].join(',')}`)
        reads += FILES.length
        // Leave the CPU to the publisher between rounds; reads still outnumber publishes by far.
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    })()

    for (let n = 1; n <= PUBLISHES; n++) {
      await fx.repos.commit('torn.git', files(n))
      const result = await syncer.sync(site)
      assert.equal(result.action, 'published')
    }
    publishing = false
    await reader

    assert.deepEqual(problems, [])
    assert.ok(
      seen.size > 10,
      `the reader saw only ${seen.size} revisions: it did not run alongside the publishes`,
    )
    assert.ok(reads > 300, `only ${reads} reads`)
    assert.equal(await readFile(join(root, site.key, 'index.html'), 'utf8'), content(PUBLISHES, 'index.html'))
  })
})

const skipNginx = await nginxUnavailable()

const KEEP_ONE_PUBLISHES = 20

/**
 * Publishes KEEP_ONE_PUBLISHES commits with one kept revision while three readers GET every file through
 * `port`; returns what was wrong with any response (status, length, content).
 */
async function readDuringPublishes(
  fx: GitFixture,
  engine: Awaited<ReturnType<GitFixture['engine']>>,
  site: SiteSource,
  port: number,
  request: { readonly host: string; readonly path: (file: string) => string },
  published: () => void = () => undefined,
): Promise<string[]> {
  let publishing = true
  const problems: string[] = []
  let responses = 0
  const reader = async () => {
    while (publishing)
      for (const file of FILES) {
        const response = await getFile(port, request.path(file), request.host)
        responses++
        const problem = responseProblem(file, response)
        if (problem) problems.push(problem.what)
      }
  }
  const readers = Array.from({ length: 3 }, reader)
  const first = revisionOf(await readFile(join(engine.root, site.key, FILES[0] as string), 'utf8'))
  // Which revisions a reader sees depends on the server's file cache (nginx keeps descriptors for
  // a second), so running alongside is judged by responses completed while each publish ran.
  let publishesWithResponses = 0
  for (let n = first + 1; n <= first + KEEP_ONE_PUBLISHES; n++) {
    const responsesBefore = responses
    await fx.repos.commit('keep-one.git', files(n))
    assert.equal((await engine.syncer.sync(site)).action, 'published')
    published()
    if (responses > responsesBefore) publishesWithResponses++
  }
  publishing = false
  await Promise.all(readers)
  assert.ok(
    publishesWithResponses >= KEEP_ONE_PUBLISHES * 0.75,
    `responses completed during only ${publishesWithResponses} of ${KEEP_ONE_PUBLISHES} publishes: the readers did not run alongside them; ${problems[0] ?? ''}`,
  )
  assert.ok(responses > 100, `only ${responses} responses`)
  return problems.map((problem) => `${problem} (${problems.length} of ${responses} responses)`)
}

describe('responses during publishes with one kept revision', () => {
  let fx: GitFixture
  let engine: Awaited<ReturnType<GitFixture['engine']>>
  const site: SiteSource = {
    id: 'ns/keep-one',
    key: 'ns--keep-one',
    repo: '',
    ref: 'main',
    path: '/',
  }
  let keepOne: SiteSource
  before(async () => {
    fx = await GitFixture.start()
    await fx.repos.create('keep-one.git', Object.fromEntries(FILES.map((f) => [f, content(0, f)])))
    engine = await fx.engine('keep-one', { keep: 1 })
    keepOne = { ...site, repo: fx.url('keep-one.git') }
    await engine.syncer.sync(keepOne)
  })
  after(() => fx.stop())

  it('are never cut short by the built-in server: each one is a complete file of one revision', async () => {
    // Files are streamed from disk, not answered from memory: the case a deleted tree can cut.
    const server = new StaticServer({
      sites: [servedSite(site.key, { domains: ['keep-one.test'] })],
      root: engine.root,
      log: pino({ level: 'silent' }),
      cache: { maxBodyBytes: 1024 },
    })
    const { port } = await server.listen(0)
    try {
      const problems = await readDuringPublishes(
        fx,
        engine,
        keepOne,
        port,
        { host: 'keep-one.test', path: (file) => `/${file}` },
        () => server.notifyPublished(site.key),
      )
      assert.deepEqual(problems, [])
    } finally {
      await server.close()
    }
  })

  it('are never cut short by nginx with the rendered configuration either', { skip: skipNginx }, async () => {
    // nginx runs its workers as nobody, who must reach the published trees.
    for (const dir of [fx.dir, join(fx.dir, 'keep-one')]) await chmod(dir, 0o755)
    const nginx = await startNginx({ root: engine.root, workDir: join(fx.dir, 'nginx') })
    try {
      const problems = await readDuringPublishes(fx, engine, keepOne, nginx.port, {
        host: 'nginx.test',
        path: (file) => `${nginxPrefix(site.key, 'notFound')}/${file}`,
      })
      assert.deepEqual(problems, [])
    } finally {
      await nginx.stop()
    }
  })
})
