/** A sync failure as an Error, by its code in the syncer's registry (reasons.ts). */
import { type RetryKind, SYNC_ERRORS, type SyncErrorCode } from './reasons.js'

export type { RetryKind, SyncErrorCode }

/** A failed sync with a message for the site's owner: what went wrong and what to change. */
export class SyncError extends Error {
  override name = 'SyncError'
  readonly reason: string
  readonly retry: RetryKind

  constructor(
    readonly code: SyncErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.reason = SYNC_ERRORS[code].reason
    this.retry = SYNC_ERRORS[code].retry
  }
}

/** Anything thrown during a sync, as a SyncError: unknown failures count as transient. */
export const asSyncError = (error: unknown): SyncError =>
  error instanceof SyncError
    ? error
    : new SyncError('HP_ERR_SYNC_GIT_FAILED', `sync failed: ${(error as Error).message ?? String(error)}`, {
        cause: error,
      })
