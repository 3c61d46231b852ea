import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { localRepoPath } from './local-repos.js'

describe('localRepoPath', () => {
  const cases: readonly [string, string, string | undefined, string | undefined][] = [
    [
      'a repos.localhost URL names a repository under the directory',
      'https://repos.localhost/example',
      '/r',
      '/r/example',
    ],
    ['a trailing slash is the same repository', 'https://repos.localhost/site.git/', '/r', '/r/site.git'],
    ['without --local-repos nothing is local', 'https://repos.localhost/example', undefined, undefined],
    ['another host is never local', 'https://git.example.com/example', '/r', undefined],
    ['a nested path is refused', 'https://repos.localhost/a/b', '/r', undefined],
    ['dot-dot is refused', 'https://repos.localhost/..', '/r', undefined],
    ['a name starting with a dot is refused', 'https://repos.localhost/.hidden', '/r', undefined],
    ['http is refused', 'http://repos.localhost/example', '/r', undefined],
  ]
  for (const [name, repo, dir, expected] of cases)
    it(name, () => assert.equal(localRepoPath(repo, dir), expected))
})
