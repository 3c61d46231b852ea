/**
 * The names a Database has on its server, derived by one function from what the schema already
 * admits (a namespace and a DNS-label name of at most 40 characters): `h<10 base32 of the
 * namespace's hash>_<name with '-' as '_'>`, the same for the database and its user. Readable,
 * stable across restarts, never the same for two Databases (the hash keeps namespaces apart, and
 * a name maps one to one), at most 52 characters (PostgreSQL takes 63, MariaDB 64 and 80), and made
 * of `[a-z0-9_]` only, so it needs no quoting in SQL; anything else is refused here as well, so a
 * schema mistake cannot become an injection.
 */
import { createHash } from 'node:crypto'
import { MAX_DATABASE_NAME } from '../api/database.js'

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
export const IDENTIFIER = /^h[a-z2-7]{10}_[a-z0-9_]{1,40}$/

function base32(bytes: Buffer, length: number): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5 && out.length < length) {
      out += BASE32[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
    if (out.length === length) break
  }
  return out
}

export function databaseIdentifier(namespace: string, name: string): string {
  if (!LABEL.test(namespace) || namespace.length > 63)
    throw new Error(`namespace ${JSON.stringify(namespace)} is not a namespace name`)
  if (!LABEL.test(name) || name.length > MAX_DATABASE_NAME)
    throw new Error(
      `Database name ${JSON.stringify(name)} is not a DNS label of at most ${MAX_DATABASE_NAME} characters`,
    )
  const identifier = `h${base32(createHash('sha256').update(namespace).digest(), 10)}_${name.replaceAll('-', '_')}`
  if (!IDENTIFIER.test(identifier)) throw new Error(`derived identifier ${identifier} is not safe`)
  return identifier
}
