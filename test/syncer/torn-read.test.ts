/**
 * Torn reads: while 50 commits are published one after the other through the real engine, a
 * reader keeps fetching a set of files. Every file read must be one revision's complete file, and
 * every set read through one resolution of the site's link must be one revision's files.
 */
import assert from 'node:assert/strict'
import { readFile, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { GitFixture } from './git-fixture.js'

const FILES = ['index.html', 'style.css', 'app.js']
const PUBLISHES = 50

/** Large enough that a file is written in several chunks, so a torn write would show. */
const content = (revision: number, file: string) =>
  `${file} rev ${revision}\n${String(revision % 10).repeat(16 * 1024)}\n`
const revisionOf = (text: string) => Number(/ rev (\d+)\n/.exec(text)?.[1] ?? -1)

describe('torn reads during 50 publishes', () => {
  let fx: GitFixture
  before(async () => {
    fx = await GitFixture.start()
  })
  after(() => fx.stop())

  it('lets every read see exactly one complete revision', async () => {
    const files = (n: number) => Object.fromEntries(FILES.map((f) => [f, content(n, f)]))
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
