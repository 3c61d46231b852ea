/**
 * The syncer's one registry of what it reports: the `Synced` condition, the reasons of a
 * successful sync, and every way a sync can fail, by stable code (`HP_ERR_SYNC_*`). A failure's
 * `reason` goes to the `Synced` condition and to the Event unchanged; `retry` says whether
 * waiting helps (`transient`: network, timeouts, the API server) or whether the site's owner has
 * to change something (`user`: the syncer then waits for a spec change or the next poll instead
 * of retrying hot). docs/syncer.md lists every reason and code; reasons.test.ts keeps both equal.
 */
export const SYNCED = 'Synced'

/** Reasons of a True `Synced`. */
export const SYNCED_REASONS = {
  Published: 'Published',
  RolledBack: 'RolledBack',
  /** Published or rolled back, and some entries of the tree were dropped (listed in the message). */
  EntriesDropped: 'EntriesDropped',
} as const

export type RetryKind = 'transient' | 'user'

export const SYNC_ERRORS = {
  HP_ERR_SYNC_AUTH_FAILED: {
    reason: 'AuthenticationFailed',
    retry: 'user',
    summary: 'authentication failed',
  },
  HP_ERR_SYNC_HOST_NOT_ALLOWED: { reason: 'HostNotAllowed', retry: 'user', summary: 'host not allowed' },
  HP_ERR_SYNC_TRANSPORT_REFUSED: {
    reason: 'TransportRefused',
    retry: 'user',
    summary: 'repository URL refused',
  },
  HP_ERR_SYNC_REDIRECT_REFUSED: { reason: 'RedirectRefused', retry: 'user', summary: 'redirect refused' },
  HP_ERR_SYNC_REF_INVALID: { reason: 'InvalidRef', retry: 'user', summary: 'ref refused' },
  HP_ERR_SYNC_REF_NOT_FOUND: { reason: 'RefNotFound', retry: 'user', summary: 'ref not found' },
  HP_ERR_SYNC_PATH_NOT_FOUND: { reason: 'PathNotFound', retry: 'user', summary: 'path not found' },
  HP_ERR_SYNC_SITE_TOO_LARGE: { reason: 'SiteTooLarge', retry: 'user', summary: 'site too large' },
  HP_ERR_SYNC_FILE_TOO_LARGE: { reason: 'FileTooLarge', retry: 'user', summary: 'file too large' },
  HP_ERR_SYNC_TOO_MANY_FILES: { reason: 'TooManyFiles', retry: 'user', summary: 'too many files' },
  HP_ERR_SYNC_CREDENTIALS: {
    reason: 'CredentialsUnavailable',
    retry: 'user',
    summary: 'credentials unavailable',
  },
  HP_ERR_SYNC_LOCAL_REPO_MISSING: {
    reason: 'LocalRepositoryMissing',
    retry: 'user',
    summary: 'local repository missing',
  },
  /** Not a failure of the site: its Customer is suspended, so nothing is fetched or published. */
  HP_ERR_SYNC_CUSTOMER_SUSPENDED: {
    reason: 'CustomerSuspended',
    retry: 'user',
    summary: 'customer suspended',
  },
  HP_ERR_SYNC_TIMEOUT: { reason: 'GitTimeout', retry: 'transient', summary: 'git timed out' },
  HP_ERR_SYNC_GIT_FAILED: { reason: 'GitFailed', retry: 'transient', summary: 'git failed' },
} as const satisfies Record<string, { reason: string; retry: RetryKind; summary: string }>

export type SyncErrorCode = keyof typeof SYNC_ERRORS
