/**
 * What a failed git call means for the site's owner, read from git's stderr. The rules run in
 * order; the first that matches names the failure. git's own text is kept short and only goes
 * to logs, because it can name internal addresses.
 */
import { GitCommandError } from './git-command.js'
import { SyncError, type SyncErrorCode } from './sync-error.js'

export interface FailureContext {
  /** Whether the site has a secretRef, to say what to fix after an authentication failure. */
  readonly hasCredentials: boolean
  readonly repo: string
}

/**
 * A fetch the kernel stopped at its file size limit (SIGXFSZ). git only says "invalid index-pack
 * output", so the fetch recognises it by the size of the pack it left behind.
 */
export const fetchLimitExceeded = (repo: string, cause: unknown): SyncError =>
  new SyncError(
    'HP_ERR_SYNC_SITE_TOO_LARGE',
    `site exceeds the fetch limit: one commit of ${repo} is larger than the syncer may fetch (twice --max-site-size); publish from a smaller repository`,
    { cause },
  )

type Rule = readonly [RegExp, SyncErrorCode, (context: FailureContext) => string]

const RULES: readonly Rule[] = [
  [
    /could not read (Username|Password)|Authentication failed|returned error: 40[13]|Permission denied \(publickey/i,
    'HP_ERR_SYNC_AUTH_FAILED',
    ({ hasCredentials }) =>
      hasCredentials
        ? 'authentication failed: the host refused the credentials in spec.secretRef; check the username, password or token'
        : 'authentication failed: the repository needs credentials; create a Secret and set spec.secretRef',
  ],
  [
    /Host key verification failed/i,
    'HP_ERR_SYNC_CREDENTIALS',
    () => 'host key verification failed: known_hosts in spec.secretRef does not list the host key',
  ],
  [
    /returned error: 30[1278]|redirect/i,
    'HP_ERR_SYNC_REDIRECT_REFUSED',
    ({ repo }) => `redirect refused: ${repo} answered with a redirect; set spec.repo to the final URL`,
  ],
  [
    /returned error: 404|repository .* not found|does not appear to be a git repository/i,
    'HP_ERR_SYNC_REF_NOT_FOUND',
    ({ repo }) => `repository not found: ${repo}`,
  ],
  [
    /couldn't find remote ref|not our ref|unadvertised object|no such remote ref|bad object/i,
    'HP_ERR_SYNC_REF_NOT_FOUND',
    () => 'ref not found: the commit is not in the repository (or the host does not serve commits by id)',
  ],
]

export function syncErrorFromGit(error: unknown, context: FailureContext): SyncError {
  if (!(error instanceof GitCommandError))
    return new SyncError('HP_ERR_SYNC_GIT_FAILED', `git could not run: ${String(error)}`)
  if (error.timedOut)
    return new SyncError(
      'HP_ERR_SYNC_TIMEOUT',
      `git ${error.command} timed out talking to ${context.repo}; will retry`,
    )
  for (const [pattern, code, message] of RULES) {
    if (pattern.test(error.stderr)) return new SyncError(code, message(context), { cause: error })
  }
  const lastLine = error.stderr.trim().split('\n').pop()?.slice(0, 300) ?? ''
  return new SyncError('HP_ERR_SYNC_GIT_FAILED', `git ${error.command} failed: ${lastLine}; will retry`, {
    cause: error,
  })
}
