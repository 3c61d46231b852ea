/**
 * Turns the raw request target into decoded path segments, or refuses it before anything touches
 * the file system. Hostile forms are refused with 400: `.` and `..` segments in any spelling
 * (`%2e%2e`), an encoded `/` or `\` inside a segment (`..%2f`), backslashes, NUL and other
 * control characters, malformed percent-escapes. Empty segments (`//`) collapse, as in nginx.
 */
export const MAX_PATH_LENGTH = 2048

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
