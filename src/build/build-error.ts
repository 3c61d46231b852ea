/**
 * Every way a build fails, by stable code, with whether a retry can help: `transient` (network,
 * timeouts, 5xx, rate limits) or `user` (a commit, a reference, a credential or a limit someone
 * has to change). `HP_ERR_REGISTRY_*` come from the registry client, `HP_ERR_BUILD_*` from the
 * build before the registry is involved; the message is what the pusher reads on their terminal.
 * docs/builds.md lists the codes.
 */
export type RetryKind = 'transient' | 'user'

export const BUILD_ERRORS = {
  HP_ERR_REGISTRY_REFERENCE: { retry: 'user', summary: 'image reference refused' },
  HP_ERR_REGISTRY_UNREACHABLE: { retry: 'transient', summary: 'registry unreachable or too slow' },
  HP_ERR_REGISTRY_DENIED: { retry: 'user', summary: 'registry refused the credentials' },
  HP_ERR_REGISTRY_NOT_FOUND: { retry: 'user', summary: 'manifest or blob not found' },
  HP_ERR_REGISTRY_UNSUPPORTED: { retry: 'user', summary: 'manifest kind or platform not supported' },
  HP_ERR_REGISTRY_TOO_LARGE: { retry: 'user', summary: 'manifest or blob over the size limit' },
  HP_ERR_REGISTRY_DIGEST_MISMATCH: { retry: 'transient', summary: 'content does not match its digest' },
  HP_ERR_REGISTRY_FAILED: { retry: 'transient', summary: 'registry answered with an error' },
  HP_ERR_BUILD_OPTIONS: { retry: 'user', summary: 'build configuration refused' },
  HP_ERR_BUILD_COMMIT_NOT_FOUND: { retry: 'user', summary: 'commit not found' },
  HP_ERR_BUILD_UNSAFE_PATH: { retry: 'user', summary: 'path refused' },
  HP_ERR_BUILD_SYMLINK_OUTSIDE: { retry: 'user', summary: 'symlink leaves the app' },
  HP_ERR_BUILD_TOO_LARGE: { retry: 'user', summary: 'commit too large' },
  HP_ERR_BUILD_TOO_MANY_FILES: { retry: 'user', summary: 'too many files' },
  HP_ERR_BUILD_BASE_IMAGE: { retry: 'user', summary: 'base image refused' },
  HP_ERR_BUILD_GIT_FAILED: { retry: 'transient', summary: 'git failed' },
} as const satisfies Record<string, { retry: RetryKind; summary: string }>

export type BuildErrorCode = keyof typeof BUILD_ERRORS

export class BuildError extends Error {
  override name = 'BuildError'
  readonly retry: RetryKind
  /** The registry's HTTP status, when a registry answered. */
  readonly status: number | undefined

  constructor(
    readonly code: BuildErrorCode,
    message: string,
    options?: { readonly cause?: unknown; readonly status?: number },
  ) {
    super(message, options)
    this.retry = BUILD_ERRORS[code].retry
    this.status = options?.status
  }
}
