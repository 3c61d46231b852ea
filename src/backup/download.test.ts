import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { downloadProblem, repositoryOf } from './download.js'

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
