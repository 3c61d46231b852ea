/**
 * What a failed remote call means for the site's owner: read from git's stderr, or from the answer
 * of the in-process ref check (smart-http.ts), so both say the same. The rules run in order; the
 * first that matches names the failure. git's own text is kept short and only goes
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

/** What went wrong, whichever transport saw it: each with the one sentence its owner reads. */
const FAILURES = {
  auth: [
    'HP_ERR_SYNC_AUTH_FAILED',
    ({ hasCredentials }) =>
      hasCredentials
        ? 'authentication failed: the host refused the credentials in spec.secretRef; check the username, password or token'
        : 'authentication failed: the repository needs credentials; create a Secret and set spec.secretRef',
  ],
  hostKey: [
    'HP_ERR_SYNC_CREDENTIALS',
    () => 'host key verification failed: known_hosts in spec.secretRef does not list the host key',
  ],
  redirect: [
    'HP_ERR_SYNC_REDIRECT_REFUSED',
    ({ repo }) => `redirect refused: ${repo} answered with a redirect; set spec.repo to the final URL`,
  ],
  repoNotFound: ['HP_ERR_SYNC_REF_NOT_FOUND', ({ repo }) => `repository not found: ${repo}`],
  commitNotFound: [
    'HP_ERR_SYNC_REF_NOT_FOUND',
    () => 'ref not found: the commit is not in the repository (or the host does not serve commits by id)',
  ],
} as const satisfies Record<string, readonly [SyncErrorCode, (context: FailureContext) => string]>

export type FailureKind = keyof typeof FAILURES

export function remoteFailure(kind: FailureKind, context: FailureContext, cause?: unknown): SyncError {
  const [code, message] = FAILURES[kind]
  return new SyncError(code, message(context), { cause })
}

/** A remote call that ran out of time (the whole git process, or the in-process ref check). */
export const remoteTimeout = (command: string, context: FailureContext): SyncError =>
  new SyncError('HP_ERR_SYNC_TIMEOUT', `git ${command} timed out talking to ${context.repo}; will retry`)

/** Any other failure: transient, with the detail that names it (only its first 300 characters). */
export const remoteFailed = (command: string, detail: string, cause?: unknown): SyncError =>
  new SyncError('HP_ERR_SYNC_GIT_FAILED', `git ${command} failed: ${detail.slice(0, 300)}; will retry`, {
    cause,
  })

const RULES: readonly (readonly [RegExp, FailureKind])[] = [
  [
    /could not read (Username|Password)|Authentication failed|returned error: 40[13]|Permission denied \(publickey/i,
    'auth',
  ],
  [/Host key verification failed/i, 'hostKey'],
  [/returned error: 30[1278]|redirect/i, 'redirect'],
  [/returned error: 404|repository .* not found|does not appear to be a git repository/i, 'repoNotFound'],
  [
    /couldn't find remote ref|not our ref|unadvertised object|no such remote ref|bad object/i,
    'commitNotFound',
  ],
]

/** The failure git's own words name, if a rule knows them (also used for a host's `ERR` packet). */
export function failureInText(text: string): FailureKind | undefined {
  return RULES.find(([pattern]) => pattern.test(text))?.[1]
}

export function syncErrorFromGit(error: unknown, context: FailureContext): SyncError {
  if (!(error instanceof GitCommandError))
    return new SyncError('HP_ERR_SYNC_GIT_FAILED', `git could not run: ${String(error)}`)
  if (error.timedOut) return remoteTimeout(error.command, context)
  const kind = failureInText(error.stderr)
  if (kind) return remoteFailure(kind, context, error)
  const lastLine = error.stderr.trim().split('\n').pop() ?? ''
  return remoteFailed(error.command, lastLine, error)
}
