import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { normalizedRepo, parseRepoUrl } from './repo-url.js'
import { SyncError } from './sync-error.js'

describe('parseRepoUrl', () => {
  const accepted: [string, string, { transport: string; host: string; port: number; path: string }][] = [
    [
      'accepts an https URL',
      'https://Git.Example.com/team/site.git',
      { transport: 'https', host: 'git.example.com', port: 443, path: '/team/site.git' },
    ],
    [
      'accepts an https URL with a port',
      'https://127.0.0.1:8443/a.git',
      { transport: 'https', host: '127.0.0.1', port: 8443, path: '/a.git' },
    ],
    [
      'accepts an ssh URL',
      'ssh://git@git.example.com:2222/team/site.git',
      { transport: 'ssh', host: 'git.example.com', port: 2222, path: '/team/site.git' },
    ],
    [
      'accepts the scp form of ssh',
      'git@git.example.com:team/site.git',
      { transport: 'ssh', host: 'git.example.com', port: 22, path: '/team/site.git' },
    ],
  ]
  for (const [name, url, expected] of accepted) {
    it(name, () => {
      const { transport, host, port, path } = parseRepoUrl(url)
      assert.deepEqual({ transport, host, port, path }, expected)
    })
  }

  const refused: [string, string, RegExp][] = [
    ['refuses the ext:: transport, which runs commands', 'ext::sh -c touch% /tmp/pwned', /whitespace|ext::/],
    ['refuses ext:: without spaces too', 'ext::evil', /ext::/],
    ['refuses file:// URLs', 'file:///etc', /file transport/],
    ['refuses plain http', 'http://git.example.com/a.git', /http transport/],
    ['refuses local paths', '/srv/git/a.git', /not a URL/],
    ['refuses credentials in an https URL', 'https://user:pw@git.example.com/a.git', /secretRef/],
    ['refuses a path climbing with ..', 'https://git.example.com/../a.git', /\.\./],
    [
      'refuses a host starting with a dash (an ssh option)',
      'ssh://-oProxyCommand=x/a.git',
      /host name is invalid/,
    ],
  ]
  for (const [name, url, message] of refused) {
    it(name, () => {
      assert.throws(
        () => parseRepoUrl(url),
        (e: unknown) =>
          e instanceof SyncError && e.code === 'HP_ERR_SYNC_TRANSPORT_REFUSED' && message.test(e.message),
      )
    })
  }
})

describe('normalizedRepo', () => {
  it('gives https, ssh and scp forms of one repository the same key, ignoring case, .git and trailing slashes', () => {
    const forms = [
      'https://github.com/Team/Site.git',
      'https://github.com/team/site/',
      'ssh://git@github.com/team/site.git',
      'git@github.com:team/site.git',
    ]
    assert.deepEqual(new Set(forms.map(normalizedRepo)), new Set(['github.com/team/site']))
  })

  it('keeps a non-default port, so two servers on one host stay apart', () => {
    assert.equal(normalizedRepo('https://127.0.0.1:8443/a.git'), '127.0.0.1:8443/a')
  })

  it('is undefined for a URL the syncer would refuse', () => {
    assert.equal(normalizedRepo('file:///etc'), undefined)
  })
})
