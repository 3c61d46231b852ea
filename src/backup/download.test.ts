import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { downloadProblem, openDownload, repositoryOf } from './download.js'
import { Restic } from './restic.js'

describe('what a backup download may ask for', () => {
  const cases: [string, Parameters<typeof downloadProblem>, RegExp | undefined][] = [
    ['the whole files part', ['files', undefined], undefined],
    ['the whole database part', ['database', undefined], undefined],
    ['one directory of the volume', ['files', 'wp-content/uploads'], undefined],
    ['one file of the volume', ['files', 'index.php'], undefined],
    ['a path of the database part', ['database', 'dump.sql'], /ask for part=files/],
    ['an absolute path', ['files', '/etc/passwd'], /is absolute/],
    ['a path up and out', ['files', '../etc/passwd'], /no '\.', '\.\.' or empty segments/],
    ['a path that climbs back', ['files', 'uploads/../..'], /no '\.', '\.\.' or empty segments/],
    ['a dot segment', ['files', 'uploads/./a'], /no '\.', '\.\.' or empty segments/],
    ['an empty segment', ['files', 'uploads//a'], /no '\.', '\.\.' or empty segments/],
    ['a trailing slash', ['files', 'uploads/'], /ends with '\/'/],
  ]
  for (const [name, [part, path], refused] of cases)
    it(`${name}: ${refused ? 'refused with a message' : 'taken'}`, () => {
      const problem = downloadProblem(part, path)
      if (refused) assert.match(problem ?? '', refused)
      else assert.equal(problem, undefined)
    })
})

describe('the repository of a tenant’s repository Secret', () => {
  it('takes a repository proxy’s rest: URL with its password, and no other environment', () => {
    assert.deepEqual(
      repositoryOf({ repository: 'rest:http://acme:t@backup-proxy-x.sys.svc:8000/acme/', password: 'p' }),
      {
        url: 'rest:http://acme:t@backup-proxy-x.sys.svc:8000/acme/',
        password: 'p',
        env: {},
      },
    )
  })

  it('refuses any other backend (a local path, s3 by keys, sftp) and a Secret without a password', () => {
    for (const repository of [
      '/var/lib/secret',
      's3:https://s3.test/bucket',
      'sftp:host:/x',
      'rest:file:///x',
    ])
      assert.match(
        String(repositoryOf({ repository, password: 'p' })),
        /does not name a repository proxy/,
        repository,
      )
    assert.match(String(repositoryOf({ repository: 'rest:http://a:t@p/a/' })), /no password/)
  })
})

describe('a download whose reader goes away', () => {
  it('lets go of restic’s output, so no pipe is left open in the process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hostplane-download-test-'))
    try {
      // Stands in for restic: writes without end, faster than anyone reads.
      const restic = join(dir, 'restic')
      await writeFile(restic, '#!/bin/sh\nexec yes hostplane\n', { mode: 0o755 })
      const pipes = () => process.getActiveResourcesInfo().filter((r) => r === 'PipeWrap').length
      const before = pipes()
      const stop = new AbortController()
      const download = await openDownload(
        new Restic(
          { url: 'rest:http://proxy.test/acme/', password: 'p', env: {} },
          { binary: restic, cacheDir: dir },
        ),
        { backup: 'nightly', part: 'database', snapshot: 'abc' },
        stop.signal,
      )
      for await (const chunk of download.body) {
        assert.match(String(chunk), /^hostplane/)
        break
      }
      stop.abort()
      await assert.rejects(download.done, /its reader went away/)
      for (let waited = 0; pipes() > before && waited < 5_000; waited += 50)
        await new Promise((resolve) => setTimeout(resolve, 50))
      assert.equal(pipes(), before, 'a pipe of the stopped restic is still open')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
