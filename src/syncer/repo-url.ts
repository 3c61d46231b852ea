/**
 * Repository URLs as the syncer accepts them: https, or ssh (URL or scp form). Everything git
 * could also take — `ext::` commands, `file://`, local paths, `http://`, credentials in the URL —
 * is refused here, before git sees it.
 */
import { SyncError } from './sync-error.js'

export interface RepoUrl {
  readonly transport: 'https' | 'ssh'
  /** Lower-case host name or IP address, without brackets. */
  readonly host: string
  readonly port: number
  readonly user?: string
  /** Path on the host, starting with '/'. */
  readonly path: string
  /** The URL as git gets it. */
  readonly href: string
}

const SCP_FORM = /^([A-Za-z0-9._-]+)@([A-Za-z0-9][A-Za-z0-9.-]*):([^\s/-][^\s]*)$/
const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/

const refused = (url: string, why: string) =>
  new SyncError(
    'HP_ERR_SYNC_TRANSPORT_REFUSED',
    `repository ${JSON.stringify(url.slice(0, 200))} refused: ${why}; use https://host/path (or an ssh URL with an SSH key in secretRef)`,
  )

export function parseRepoUrl(url: string): RepoUrl {
  if (/[\s\0]/.test(url)) throw refused(url, 'it contains whitespace or control characters')
  const scp = SCP_FORM.exec(url)
  if (scp) {
    const [, user, host, path] = scp as unknown as [string, string, string, string]
    return checked(url, {
      transport: 'ssh',
      host: host.toLowerCase(),
      port: 22,
      user,
      path: `/${path}`,
      href: url,
    })
  }
  if (url.includes('::')) throw refused(url, 'transport helpers such as ext:: are not allowed')
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw refused(url, 'it is not a URL')
  }
  const scheme = parsed.protocol.slice(0, -1)
  if (scheme !== 'https' && scheme !== 'ssh') throw refused(url, `the ${scheme} transport is not allowed`)
  if (scheme === 'https' && (parsed.username || parsed.password))
    throw refused(url, 'credentials belong in secretRef, not in the URL')
  if (parsed.password) throw refused(url, 'passwords belong in secretRef, not in the URL')
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = parsed.port ? Number(parsed.port) : scheme === 'https' ? 443 : 22
  return checked(url, {
    transport: scheme,
    host,
    port,
    user: parsed.username || undefined,
    path: decodeURIComponent(parsed.pathname),
    href: parsed.href,
  })
}

function checked(original: string, repo: RepoUrl): RepoUrl {
  if (!HOST.test(repo.host) && !repo.host.includes(':')) throw refused(original, 'the host name is invalid')
  const segments = [...original.split(/[/\\]/), ...repo.path.split('/')]
  if (repo.path.length < 2 || segments.some((s) => /^(\.|%2e){2}$/i.test(s)))
    throw refused(original, 'the path must name a repository and must not contain ..')
  return repo
}

/**
 * The form webhooks and sites are matched by: host (with a non-default port), then the path
 * without `.git` or a trailing slash, all lower case — forges treat owner and repository names
 * case-insensitively, and a false match only costs one `ls-remote`.
 */
export function normalizedRepo(url: string): string | undefined {
  let repo: RepoUrl
  try {
    repo = parseRepoUrl(url)
  } catch {
    return undefined
  }
  const defaultPort = repo.transport === 'https' ? 443 : 22
  const host = repo.port === defaultPort ? repo.host : `${repo.host}:${repo.port}`
  const path = repo.path.replace(/\/+$/, '').replace(/\.git$/i, '')
  return `${host}${path}`.toLowerCase()
}
