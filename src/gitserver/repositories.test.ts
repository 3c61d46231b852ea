import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { silentLogger } from '../ops/log.js'
import { GitRunner } from '../syncer/git-command.js'
import { Repositories } from './repositories.js'

describe('Repositories.ensure', () => {
  it('creates a repository once when its Webspace is reported many times at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hostplane-repositories-'))
    try {
      const repositories = new Repositories({
        reposDir: dir,
        hooksDir: '/nonexistent/hooks',
        git: new GitRunner({ home: dir }),
        log: silentLogger(),
      })
      const entry = {
        customer: 'alice',
        namespace: 'sh-alice',
        webspace: 'site',
        uid: '9f1e9bb4-34f2-49e9-8bb7-0f4ca5160b3e',
        branch: 'main',
        suspended: false,
        maxPushBytes: 1 << 20,
        tier: 'shared' as const,
        size: 'small' as const,
      }
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          repositories.ensure({ ...entry, branch: i % 2 ? 'main' : 'live' }),
        ),
      )
      assert.deepEqual(
        results.map((r) => r.status),
        Array<string>(8).fill('fulfilled'),
      )
      assert.deepEqual(await readdir(dir), [`${entry.uid}.git`], 'no .new- directory is left behind')
      assert.equal(
        await readFile(join(dir, `${entry.uid}.git`, 'HEAD'), 'utf8'),
        'ref: refs/heads/main\n',
        'the last report wins',
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
