import { access, constants } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

export const REPO_ROOT = join(import.meta.dirname, '..', '..')

/** Built binaries and cluster state live outside the repository so clean clones reuse them. */
export const cacheRoot = (): string =>
  process.env.HOSTPLANE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hostplane')

export const isCI = (): boolean => ['1', 'true'].includes((process.env.CI ?? '').toLowerCase())

/**
 * Reason a suite that needs `binary` (from Debian's `aptPackage`) cannot run here, or false when
 * it can. Under CI the reason is thrown: .ci/run installs the package, so a missing one is a failure.
 */
export async function binaryUnavailable(
  suite: string,
  binary: string,
  aptPackage: string,
): Promise<string | false> {
  try {
    await access(binary, constants.X_OK)
    return false
  } catch {
    const reason = `${suite} tests not run: ${binary} not found (apt-get install ${aptPackage})`
    if (isCI()) throw new Error(reason)
    return reason
  }
}
