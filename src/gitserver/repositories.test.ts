import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Counter, Registry } from 'prom-client'
import { silentLogger } from '../ops/log.js'
import { GitRunner } from '../syncer/git-command.js'
import type { RepositoryEntry } from './access.js'
import { TRASH } from './collection.js'
import { Repositories } from './repositories.js'

const ENTRY: RepositoryEntry = {
  customer: 'alice',
  namespace: 'sh-alice',
  webspace: 'site',
  uid: '9f1e9bb4-34f2-49e9-8bb7-0f4ca5160b3e',
  branch: 'main',
  suspended: false,
  maxPushBytes: 1 << 20,
  tier: 'shared',
  size: 'small',
}

/** Repositories on a fresh temporary volume, with their removal counter. */
async function volume(): Promise<{ dir: string; repositories: Repositories; removed: Counter<'reason'> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hostplane-repositories-'))
  const removed = new Counter({
    name: 'removed',
    help: 'removed',
    labelNames: ['reason'],
    registers: [new Registry()],
  })
  const repositories = new Repositories({
    reposDir: dir,
    hooksDir: '/nonexistent/hooks',
    git: new GitRunner({ home: dir }),
    log: silentLogger(),
    removed,
  })
  return { dir, repositories, removed }
}

const count = async (counter: Counter<'reason'>) =>
  (await counter.get()).values.map((v) => [v.labels.reason, v.value])

describe('Repositories.ensure', () => {
  it('creates a repository once when its Webspace is reported many times at once', async () => {
    const { dir, repositories } = await volume()
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          repositories.ensure({ ...ENTRY, branch: i % 2 ? 'main' : 'live' }),
        ),
      )
      assert.deepEqual(
        results.map((r) => r.status),
        Array<string>(8).fill('fulfilled'),
      )
      assert.deepEqual(await readdir(dir), [`${ENTRY.uid}.git`], 'no .new- directory is left behind')
      assert.equal(
        await readFile(join(dir, `${ENTRY.uid}.git`, 'HEAD'), 'utf8'),
        'ref: refs/heads/main\n',
        'the last report wins',
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('Repositories.remove', () => {
  it('renames the repository into the trash, empties it, and counts the removal', async () => {
    const { dir, repositories, removed } = await volume()
    try {
      await repositories.ensure(ENTRY)
      assert.equal(await repositories.remove(ENTRY.uid, { reason: 'webspace_deleted' }), 'removed')
      assert.deepEqual(await readdir(dir), [TRASH])
      assert.deepEqual(await readdir(join(dir, TRASH)), [])
      assert.deepEqual(await count(removed), [['webspace_deleted', 1]])
      assert.equal(await repositories.remove(ENTRY.uid, { reason: 'orphaned' }), 'absent')
      assert.deepEqual(await count(removed), [['webspace_deleted', 1]], 'nothing removed twice')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('waits while a git command runs in the repository and removes it when the last one ends', async () => {
    const { dir, repositories } = await volume()
    try {
      const first = await repositories.open(ENTRY)
      const second = await repositories.open(ENTRY)
      assert.equal(await repositories.remove(ENTRY.uid, { reason: 'webspace_deleted' }), 'waiting')
      first.release()
      first.release()
      assert.ok(existsSync(second.dir), 'still there while a command runs')
      second.release()
      await waitUntil(() => !existsSync(second.dir))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('never creates a removed repository again, neither for a late command nor a late report', async () => {
    const { dir, repositories } = await volume()
    try {
      await repositories.ensure(ENTRY)
      // Asked for before the removal, but not open yet when it came: refused, not created again.
      const late = repositories.open(ENTRY)
      await repositories.remove(ENTRY.uid, { reason: 'webspace_deleted' })
      await assert.rejects(late, /was deleted/)
      await assert.rejects(repositories.open(ENTRY), /was deleted/)
      await assert.rejects(repositories.ensure(ENTRY), /was deleted/)
      assert.ok(!existsSync(repositories.dirOf(ENTRY)))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('takes an unfinished creation along, and empties what a crash left in the trash', async () => {
    const { dir, repositories } = await volume()
    try {
      await mkdir(join(dir, `.new-${ENTRY.uid}`, 'objects'), { recursive: true })
      await mkdir(join(dir, TRASH, 'left-by-a-crash.git', 'objects'), { recursive: true })
      await writeFile(join(dir, 'notes.txt'), "not the gitserver's")
      assert.equal(await repositories.remove(ENTRY.uid, { reason: 'orphaned' }), 'removed')
      assert.deepEqual((await readdir(dir)).sort(), [TRASH, 'notes.txt'])
      assert.deepEqual(await readdir(join(dir, TRASH)), [])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.ok(done(), 'did not happen within 2 s')
}
