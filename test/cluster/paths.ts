import { homedir } from 'node:os'
import { join } from 'node:path'

export const REPO_ROOT = join(import.meta.dirname, '..', '..')

/** Built binaries and cluster state live outside the repository so clean clones reuse them. */
export const cacheRoot = (): string =>
  process.env.HOSTPLANE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hostplane')

export const isCI = (): boolean => ['1', 'true'].includes((process.env.CI ?? '').toLowerCase())
