/**
 * Push webhooks from GitHub, Gitea, Forgejo and GitLab: signature checks (constant time, on the
 * raw body, before anything is parsed) and the push event reduced to what site matching needs.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { normalizedRepo } from './repo-url.js'

export const FORGES = ['github', 'gitea', 'forgejo', 'gitlab'] as const
export type Forge = (typeof FORGES)[number]
/** How a delivery proves it knows the secret: a forge's scheme, or `Authorization: Bearer <secret>`. */
export type SignatureScheme = Forge | 'generic'

export type Headers = Readonly<Record<string, string | string[] | undefined>>

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Equal-length digests compared in constant time, so neither content nor length leaks. */
const sameSecret = (given: string, expected: string) =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest())

const hmacHex = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex')

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC>`; Gitea and Forgejo: `X-Gitea-Signature` or
 * `X-Forgejo-Signature: <hex HMAC>`; GitLab: `X-Gitlab-Token: <the secret>`; generic:
 * `Authorization: Bearer <the secret>`.
 */
export function verifySignature(
  scheme: SignatureScheme,
  headers: Headers,
  body: Buffer,
  secret: string,
): boolean {
  switch (scheme) {
    case 'github': {
      const signature = header(headers, 'x-hub-signature-256')
      return signature !== undefined && sameSecret(signature, `sha256=${hmacHex(secret, body)}`)
    }
    case 'gitea':
    case 'forgejo': {
      const signature = header(headers, 'x-forgejo-signature') ?? header(headers, 'x-gitea-signature')
      return signature !== undefined && sameSecret(signature.toLowerCase(), hmacHex(secret, body))
    }
    case 'gitlab': {
      const token = header(headers, 'x-gitlab-token')
      return token !== undefined && sameSecret(token, secret)
    }
    case 'generic': {
      const authorization = header(headers, 'authorization')
      return authorization?.startsWith('Bearer ') === true && sameSecret(authorization.slice(7), secret)
    }
  }
}

/**
 * The scheme a delivery to a site's own hook uses, by the header that carries its proof (the
 * route is the same for every forge). undefined when it carries none.
 */
export function deliveryScheme(headers: Headers): SignatureScheme | undefined {
  if (header(headers, 'x-hub-signature-256') !== undefined) return 'github'
  if (header(headers, 'x-forgejo-signature') ?? header(headers, 'x-gitea-signature')) return 'gitea'
  if (header(headers, 'x-gitlab-token') !== undefined) return 'gitlab'
  if (header(headers, 'authorization') !== undefined) return 'generic'
  return undefined
}

export interface PushEvent {
  /** Normalised repository URLs the forge names for the pushed repository (https, ssh, web). */
  readonly repos: readonly string[]
  /** The pushed ref, `refs/heads/<branch>` or `refs/tags/<tag>`. */
  readonly ref: string
}

const EVENT_HEADER: Record<Forge, readonly [string, readonly string[]]> = {
  github: ['x-github-event', ['push']],
  gitea: ['x-gitea-event', ['push']],
  forgejo: ['x-forgejo-event', ['push']],
  gitlab: ['x-gitlab-event', ['Push Hook', 'Tag Push Hook']],
}

type Json = Record<string, unknown>
const object = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {})
const strings = (...values: unknown[]) => values.filter((v): v is string => typeof v === 'string')

/** The push in a verified delivery; undefined for other events (ping, issues, …) or no usable fields. */
export function parsePush(forge: Forge, headers: Headers, payload: unknown): PushEvent | undefined {
  const [name, pushEvents] = EVENT_HEADER[forge]
  const event = header(headers, name) ?? (forge === 'forgejo' ? header(headers, 'x-gitea-event') : undefined)
  if (!event || !pushEvents.includes(event)) return undefined
  const body = object(payload)
  const ref = body.ref
  if (typeof ref !== 'string' || !/^refs\/(heads|tags)\//.test(ref)) return undefined
  const source = forge === 'gitlab' ? object(body.project) : object(body.repository)
  const urls =
    forge === 'gitlab'
      ? strings(source.git_http_url, source.git_ssh_url, source.web_url, source.http_url)
      : strings(source.clone_url, source.ssh_url, source.html_url, source.git_url)
  const repos = [...new Set(urls.map(normalizedRepo).filter((r): r is string => r !== undefined))]
  return repos.length === 0 ? undefined : { repos, ref }
}

export interface SiteRef {
  readonly key: string
  readonly repo: string
  readonly ref: string
}

/** Sites a push concerns: same repository (normalised) and the pushed branch or tag is their ref. */
export function sitesForPush<T extends SiteRef>(push: PushEvent, sites: Iterable<T>): T[] {
  const repos = new Set(push.repos)
  const matches: T[] = []
  for (const site of sites) {
    const repo = normalizedRepo(site.repo)
    if (!repo || !repos.has(repo)) continue
    if (push.ref === `refs/heads/${site.ref}` || push.ref === `refs/tags/${site.ref}`) matches.push(site)
  }
  return matches
}
