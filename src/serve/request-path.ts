/**
 * Turns the raw request target into decoded path segments, or refuses it before anything touches
 * the file system. Hostile forms are refused with 400: `.` and `..` segments in any spelling
 * (`%2e%2e`), an encoded `/` or `\` inside a segment (`..%2f`), backslashes, NUL and other
 * control characters, malformed percent-escapes. Empty segments (`//`) collapse, as in nginx.
 * An absolute-form target (`http://host/path`), which HTTP/1.1 servers must accept, is split into
 * its authority and path first (`splitRequestTarget`).
 */
export const MAX_PATH_LENGTH = 2048

export interface OriginFormTarget {
  /** The host (and port) of an absolute-form target; undefined for the usual `/path` form. */
  readonly authority: string | undefined
  /** The path and query, as an origin-form target (`/path?query`). */
  readonly target: string
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)(.*)$/is

/**
 * Splits an absolute-form target into authority and origin-form target (RFC 9112 §3.2.2); the
 * authority then names the site instead of the Host header, as in nginx and Go's server (hence
 * Traefik). An origin-form target passes unchanged. undefined (400): any other form (`*`,
 * authority-form), an empty authority, or one with user information (RFC 9110 §4.2.4).
 */
export function splitRequestTarget(target: string): OriginFormTarget | undefined {
  if (target.charCodeAt(0) === 47 /* / */) return { authority: undefined, target }
  const absolute = ABSOLUTE_FORM.exec(target)
  const authority = absolute?.[1]
  if (!authority || authority.includes('@')) return undefined
  const rest = absolute[2] ?? ''
  return { authority, target: rest.startsWith('/') ? rest : `/${rest}` }
}

export interface RequestPath {
  /** Decoded segments, none empty, none `.`/`..`, none containing `/`, `\` or control characters. */
  readonly segments: readonly string[]
  /** The path ended in `/` (a directory request). */
  readonly trailingSlash: boolean
  /** The query string with its `?`, or ''. Redirects keep it. */
  readonly search: string
}

export type ParsedTarget =
  { readonly ok: true; readonly path: RequestPath } | { readonly ok: false; readonly status: 400 | 414 }

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const UNSAFE_SEGMENT = /[\u0000-\u001f\u007f/\\]/

export function parseRequestTarget(target: string): ParsedTarget {
  if (target.length > MAX_PATH_LENGTH) return { ok: false, status: 414 }
  if (target.charCodeAt(0) !== 47 /* / */) return { ok: false, status: 400 }
  const queryAt = target.indexOf('?')
  const rawPath = queryAt < 0 ? target : target.slice(0, queryAt)
  const search = queryAt < 0 ? '' : target.slice(queryAt)
  if (rawPath.includes('\\')) return { ok: false, status: 400 }
  const segments: string[] = []
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue
    let segment = raw
    if (raw.includes('%')) {
      try {
        segment = decodeURIComponent(raw)
      } catch {
        return { ok: false, status: 400 }
      }
    }
    if (segment === '.' || segment === '..' || UNSAFE_SEGMENT.test(segment)) return { ok: false, status: 400 }
    segments.push(segment)
  }
  const trailingSlash = rawPath.length > 1 && rawPath.endsWith('/')
  return { ok: true, path: { segments, trailingSlash, search } }
}

/** A segment that is a dotfile or dot-directory (`.git`, `.env`, `.well-known`): never served. */
export const isHiddenSegment = (segment: string): boolean => segment.charCodeAt(0) === 46 /* . */
