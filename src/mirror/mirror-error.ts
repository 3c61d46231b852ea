/**
 * What can go wrong while a mirror follows the syncer, by stable code. `retry` says whether the
 * next round may fix it (the syncer restarting, a tree pruned meanwhile) or whether something is
 * wrong that a person must look at (a wrong token, a tampered blob); both are retried, but only
 * the second is logged as an error.
 */
export const MIRROR_ERRORS = {
  HP_ERR_MIRROR_UNREACHABLE: { retry: 'transient', summary: 'the syncer did not answer' },
  HP_ERR_MIRROR_UNAUTHORIZED: {
    retry: 'user',
    summary: 'the syncer refused the mirror token: give both the same Secret',
  },
  HP_ERR_MIRROR_GONE: { retry: 'transient', summary: 'the revision was replaced while it was fetched' },
  HP_ERR_MIRROR_FEED_INVALID: { retry: 'user', summary: 'the feed answered something the mirror refuses' },
  HP_ERR_MIRROR_BLOB_MISMATCH: {
    retry: 'user',
    summary: 'a file did not have the sha256 or size its manifest names',
  },
  HP_ERR_MIRROR_DISK: {
    retry: 'user',
    summary: 'writing the mirror’s sites root failed (disk full, permissions)',
  },
} as const

export type MirrorErrorCode = keyof typeof MIRROR_ERRORS

export class MirrorError extends Error {
  constructor(
    readonly code: MirrorErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'MirrorError'
  }

  get transient(): boolean {
    return MIRROR_ERRORS[this.code].retry === 'transient'
  }
}
