/**
 * Crash safety: a publisher (the real engine, in a child process) is SIGKILLed at random moments
 * while it publishes; right after each kill, before any recovery, every site must serve one
 * complete revision, and the next start must clean up what the kill left.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { GitFixture } from './git-fixture.js'

const SITES = 3
const COMMITS = 8
const FILES = 16
const KILLS = 20
const MIN_PUBLISHES = 20

const fileContent = (site: number, commit: number, file: number) =>
  `site ${site} commit ${commit} file ${file}\n${'x'.repeat(32 * 1024)}`
const files = (site: number, commit: number) =>
  Object.fromEntries(
    Array.from({ length: FILES }, (_, f) => [`page-${f}.html`, fileContent(site, commit, f)]),
  )

/** The served tree of a site is complete: every file present and from one and the same commit. */
async function assertComplete(root: string, site: number): Promise<number> {
  const dir = join(root, `ns--kill-${site}`)
  const first = await readFile(join(dir, 'page-0.html'), 'utf8')
  const commit = Number(/commit (\d+)/.exec(first)?.[1])
  const names = (await readdir(dir)).sort()
  assert.equal(names.length, FILES, `site ${site} serves ${names.length} of ${FILES} files`)
  for (let f = 0; f < FILES; f++)
    assert.equal(
      await readFile(join(dir, `page-${f}.html`), 'utf8'),
      fileContent(site, commit, f),
      `site ${site} file ${f}`,
    )
  return commit
}

function runUntilKilled(plan: object, killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'publish-loop.ts'), JSON.stringify(plan)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let output = ''
    let timer: NodeJS.Timeout | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk
      if (!timer && output.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    })
    const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (_code, signal) => {
      clearTimeout(deadline)
      clearTimeout(timer)
      if (signal !== 'SIGKILL') reject(new Error(`the publisher exited by itself:\n${output}`))
      else resolve(output.split('\n').filter((l) => l.startsWith('published')).length)
    })
  })
}

describe('SIGKILL during publishes', () => {
  let fx: GitFixture
  before(async () => {
    fx = await GitFixture.start()
  })
  after(() => fx.stop())

  it('leaves every site serving one complete revision after each of 20 kills, and the next start cleans up', async () => {
    const sites = []
    for (let s = 0; s < SITES; s++) {
      await fx.repos.create(`kill-${s}.git`)
      const commits: string[] = []
      for (let c = 0; c < COMMITS; c++) commits.push(await fx.repos.commit(`kill-${s}.git`, files(s, c)))
      sites.push({ id: `ns/kill-${s}`, key: `ns--kill-${s}`, repo: fx.url(`kill-${s}.git`), commits })
    }
    const config = fx.config('kill')
    const first = await fx.engine('kill')
    for (const site of sites) await first.syncer.sync({ ...site, ref: site.commits[0] as string, path: '/' })
    const base = { sitesRoot: config.sitesRoot, workDir: config.workDir, caFile: fx.server.caFile, sites }

    let published = 0
    for (let kill = 0; kill < KILLS; kill++) {
      // Each round starts from other commits, so every round publishes trees that do not exist yet.
      published += await runUntilKilled(
        { ...base, start: kill * 2 + 1 },
        100 + Math.floor(Math.random() * 500),
      )
      for (let s = 0; s < SITES; s++) await assertComplete(config.sitesRoot, s)
    }
    assert.ok(published >= MIN_PUBLISHES, `only ${published} publishes completed between kills`)

    await fx.engine('kill')
    assert.deepEqual(
      await readdir(join(config.sitesRoot, '.hostplane', 'staging')),
      [],
      'recovery empties staging',
    )
    for (let s = 0; s < SITES; s++) {
      await assertComplete(config.sitesRoot, s)
      const trees = await readdir(join(config.sitesRoot, '.hostplane', 'trees', `ns--kill-${s}`))
      assert.ok(trees.length <= 3 + 1, `site ${s} keeps ${trees.join(', ')}`)
    }
  })
})
