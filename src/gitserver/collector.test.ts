import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { silentLogger } from '../ops/log.js'
import { GitRunner } from '../syncer/git-command.js'
import { TRASH } from './collection.js'
import { RepositoryCollector } from './collector.js'
import { Repositories } from './repositories.js'

const A = '9f1e9bb4-34f2-49e9-8bb7-0f4ca5160b3e'
const B = '0a6c1d1e-5b8f-4c7a-9d2e-3f4a5b6c7d8e'

/** A volume holding the repositories of A and B, collected with these views of the cluster. */
async function collect(
  liveUids: () => ReadonlySet<string> | undefined,
  existing: readonly string[],
): Promise<{ left: string[]; asked: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'hostplane-collector-'))
  try {
    for (const uid of [A, B]) await mkdir(join(dir, `${uid}.git`, 'objects'), { recursive: true })
    let asked = 0
    const collector = new RepositoryCollector({
      repositories: new Repositories({
        reposDir: dir,
        hooksDir: '/nonexistent/hooks',
        git: new GitRunner({ home: dir }),
        log: silentLogger(),
      }),
      liveUids,
      existingUids: () => {
        asked++
        return Promise.resolve(new Set(existing))
      },
      log: silentLogger(),
    })
    await collector.collect()
    return { left: (await readdir(dir)).filter((name) => name !== TRASH).sort(), asked }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('RepositoryCollector', () => {
  it('removes nothing while the Webspace cache is not synced, and does not even ask the API server', async () => {
    assert.deepEqual(await collect(() => undefined, []), { left: [`${B}.git`, `${A}.git`], asked: 0 })
  })

  it('removes a repository that neither the cache nor a fresh list of every Webspace names', async () => {
    assert.deepEqual(await collect(() => new Set([A]), [A]), { left: [`${A}.git`], asked: 1 })
  })

  it('keeps a repository the cache misses when the API server still has its Webspace (outside the selector, or not seen yet)', async () => {
    assert.deepEqual(await collect(() => new Set(), [A, B]), { left: [`${B}.git`, `${A}.git`], asked: 1 })
  })

  it('asks the API server nothing when every repository has a cached Webspace', async () => {
    assert.deepEqual(await collect(() => new Set([A, B]), []), { left: [`${B}.git`, `${A}.git`], asked: 0 })
  })
})
