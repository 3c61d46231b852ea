/**
 * The site key: one name per StaticSite, used for the objects generated in the system namespace,
 * the `hostplane.dev/site` label, the `/sites/<key>` directory and the nginx path prefix.
 *
 * Rule (pinned by tests):
 * - readable `<namespace>--<name>` when neither part contains `--` and the result has at most
 *   63 characters. Namespaces and names never start or end with `-`, so such a key contains `--`
 *   exactly once and splits back into one (namespace, name) pair;
 * - otherwise `<namespace, cut>--<name, cut>--<12 hex of sha256(namespace/name)>`, which
 *   contains `--` at least twice and so never equals a readable key.
 * Both are stable across restarts, at most 63 characters (a valid label value) and valid object
 * names and directory names. Both contain `--`, so no key is ever the reserved segment `_spa`.
 * Namespaces contain no `.`, so no key has a `.` before its first `--`.
 *
 * Names of the several objects a site needs of one kind (pinned by tests):
 * `<part>-<tag>.<key>`, e.g. `http-6cd7b2e8a1f04a3b.team-a--blog`, where a part is lower-case
 * letters, digits and single `-`, starting with a letter, and the tag is 16 hex of sha256(key).
 * - Such a name has a `.` before its first `--`, so it is never a key, and it splits at its first
 *   `.` back into its part and key: no site, whatever its name, can produce another site's object
 *   name, and every such name tells which site it belongs to.
 * - The tag is for Traefik, which knows an object as `<namespace>-<name>` with every run of
 *   characters other than letters and digits made one `-` (provider.Normalize): without it
 *   `prefix.team-a--blog` and `prefix.team--a-blog` would be one Middleware to Traefik, and one of
 *   the two sites would serve the other's files. With it, two names Traefik reads alike have the
 *   same part and tag, so the same key (barring a 64-bit SHA-256 collision).
 */
import { createHash } from 'node:crypto'
import type { FallbackMode } from './staticsite.js'

export const MAX_SITE_KEY = 63
const HASH_LENGTH = 12
const NAMESPACE_PART = 20
const NAME_PART = MAX_SITE_KEY - NAMESPACE_PART - HASH_LENGTH - 4

const SEPARATOR = '--'
const cut = (value: string, length: number) => value.slice(0, length).replace(/[-.]+$/, '')

export function siteKey(namespace: string, name: string): string {
  const readable = `${namespace}${SEPARATOR}${name}`
  if (!namespace.includes(SEPARATOR) && !name.includes(SEPARATOR) && readable.length <= MAX_SITE_KEY)
    return readable
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, HASH_LENGTH)
  return `${cut(namespace, NAMESPACE_PART)}${SEPARATOR}${cut(name, NAME_PART)}${SEPARATOR}${hash}`
}

const PART = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/
const TAG_LENGTH = 16
const tagOf = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, TAG_LENGTH)

/** The name of the object `part` of a site: `<part>-<tag>.<key>`. */
export function partName(key: string, part: string): string {
  if (!PART.test(part))
    throw new Error(`generated object part ${JSON.stringify(part)} would make names ambiguous`)
  return `${part}-${tagOf(key)}.${key}`
}

/** The site key a `<part>-<tag>.<key>` name belongs to; undefined for any other name. */
export function keyOfPartName(name: string): string | undefined {
  const dot = name.indexOf('.')
  const head = name.slice(0, Math.max(dot, 0))
  const key = name.slice(dot + 1)
  const tag = head.slice(-TAG_LENGTH)
  if (dot < 0 || !PART.test(head.slice(0, -TAG_LENGTH - 1)) || !head.endsWith(`-${tag}`)) return undefined
  return tag === tagOf(key) ? key : undefined
}

/**
 * First path segment Traefik adds, before the site key, for sites with `fallback: index`: one
 * static nginx location strips it and answers their missing pages with the site's index.html.
 */
export const SPA_SEGMENT = '_spa'

/** The path prefix Traefik adds for nginx: `/<site key>`, or `/_spa/<site key>` for an SPA fallback. */
export const nginxPrefix = (key: string, fallback: FallbackMode = 'notFound'): string =>
  fallback === 'index' ? `/${SPA_SEGMENT}/${key}` : `/${key}`
