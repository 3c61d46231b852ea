/**
 * API tokens: `hpt_<id>_<secret>`. The id (16 hex digits) names the stored record, so checking a
 * token is one read by name, never a scan; the secret (32 random bytes) makes it unguessable.
 * Only the SHA-256 of the whole token is stored: a fast hash is enough for 256 bits of entropy,
 * and whoever reads the records cannot use them. Pure, apart from the random source.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

const PREFIX = 'hpt'
const TOKEN = /^hpt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

export interface NewToken {
  readonly id: string
  /** Shown once, to whoever created it; never stored. */
  readonly token: string
  readonly sha256: string
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')

export function newToken(random: (size: number) => Buffer = randomBytes): NewToken {
  const id = random(8).toString('hex')
  const token = `${PREFIX}_${id}_${random(32).toString('base64url')}`
  return { id, token, sha256: hashToken(token) }
}

/** The record id a well-formed token names; undefined for anything else. */
export const tokenId = (token: string): string | undefined => TOKEN.exec(token)?.[1]

export const isTokenId = (id: string) => /^[0-9a-f]{16}$/.test(id)

/** Whether `token` is the one whose hash was stored, in time independent of where they differ. */
export function tokenMatches(token: string, storedSha256: string): boolean {
  const stored = Buffer.from(storedSha256, 'hex')
  const offered = Buffer.from(hashToken(token), 'hex')
  return stored.length === offered.length && timingSafeEqual(stored, offered)
}
