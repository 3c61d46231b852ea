import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GitCommandError } from './git-command.js'
import { syncErrorFromGit } from './git-failure.js'

const failed = (stderr: string, timedOut = false) => new GitCommandError('fetch', 128, stderr, timedOut)
const context = { hasCredentials: false, repo: 'https://git.example/a.git' }

describe('syncErrorFromGit', () => {
  const cases: [string, GitCommandError, string, RegExp][] = [
    [
      'reads a missing-credentials prompt as authentication failed, pointing to secretRef',
      failed("fatal: could not read Username for 'https://git.example': terminal prompts disabled"),
      'HP_ERR_SYNC_AUTH_FAILED',
      /set spec.secretRef/,
    ],
    [
      'reads refused credentials as authentication failed',
      failed("fatal: Authentication failed for 'https://git.example/a.git/'"),
      'HP_ERR_SYNC_AUTH_FAILED',
      /authentication failed/,
    ],
    [
      'reads a refused SSH key as authentication failed',
      failed('git@git.example: Permission denied (publickey).'),
      'HP_ERR_SYNC_AUTH_FAILED',
      /authentication failed/,
    ],
    [
      'reads an unknown host key as a known_hosts problem',
      failed('Host key verification failed.'),
      'HP_ERR_SYNC_CREDENTIALS',
      /known_hosts/,
    ],
    [
      'reads a 302 as a refused redirect',
      failed("fatal: unable to access 'x': The requested URL returned error: 302"),
      'HP_ERR_SYNC_REDIRECT_REFUSED',
      /redirect refused/,
    ],
    [
      'reads a 404 as repository not found',
      failed("fatal: unable to access 'x': The requested URL returned error: 404"),
      'HP_ERR_SYNC_REF_NOT_FOUND',
      /repository not found/,
    ],
    [
      'reads an unknown commit as ref not found',
      failed('fatal: remote error: upload-pack: not our ref 1234'),
      'HP_ERR_SYNC_REF_NOT_FOUND',
      /ref not found/,
    ],
    ['reads a timeout as transient', failed('', true), 'HP_ERR_SYNC_TIMEOUT', /timed out/],
    [
      'keeps the last line of anything else, as transient',
      failed('error: RPC failed\nfatal: early EOF'),
      'HP_ERR_SYNC_GIT_FAILED',
      /early EOF; will retry/,
    ],
  ]
  for (const [name, error, code, message] of cases) {
    it(name, () => {
      const result = syncErrorFromGit(error, context)
      assert.equal(result.code, code)
      assert.match(result.message, message)
    })
  }
})
