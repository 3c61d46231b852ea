/**
 * The compact JWTs of the registry's token auth, signed and checked in one place: registry tokens
 * and build tickets (token-service.ts) and pull tickets (pull-ticket.ts) share this code and differ
 * only in their keys, audiences and claims. ES256 (EC P-256) or RS256 (RSA), chosen by the key;
 * `kid` is the libtrust ID distribution looks the key up by.
 */
import { createHash, type KeyObject, sign, verify } from 'node:crypto'

export type JwtAlgorithm = 'ES256' | 'RS256'

/** Claims every hostplane registry JWT carries. */
export interface JwtClaims {
  readonly iss: string
  readonly sub: string
  readonly aud: string
  readonly iat: number
  readonly nbf: number
  readonly exp: number
  readonly [claim: string]: unknown
}

/** The algorithm a key (private or public) signs with; throws for any other key type. */
export function jwtAlgorithm(key: KeyObject, what = 'the registry token key'): JwtAlgorithm {
  const { asymmetricKeyType, asymmetricKeyDetails } = key
  if (asymmetricKeyType === 'ec' && asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256'
  if (asymmetricKeyType === 'rsa') return 'RS256'
  throw new Error(`${what} must be EC P-256 (ES256) or RSA (RS256), not ${asymmetricKeyType ?? key.type}`)
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * libtrust's key ID, which distribution looks a token's `kid` up by: the SHA-256 of the public
 * key's DER SubjectPublicKeyInfo, first 240 bits, base32, in groups of four joined by `:`.
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const hash = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest()
    .subarray(0, 30)
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of hash) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return (out.match(/.{4}/g) ?? []).join(':')
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url')

/** A signed JWT with header `{typ, alg, kid}`. */
export function signJwt(
  privateKey: KeyObject,
  key: { readonly algorithm: JwtAlgorithm; readonly keyId: string },
  claims: JwtClaims,
): string {
  const header = { typ: 'JWT', alg: key.algorithm, kid: key.keyId }
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

/**
 * The claims of `token` when its signature is `publicKey`'s, its `alg` the key's, its issuer and
 * audience the expected ones and it has not expired (seconds since the epoch, `now`); otherwise
 * undefined.
 */
export function verifyJwt(
  token: string,
  expected: {
    readonly publicKey: KeyObject
    readonly algorithm: JwtAlgorithm
    readonly issuer: string
    readonly audience: string
    readonly now: number
  },
): JwtClaims | undefined {
  const [header = '', payload = '', signature = '', ...rest] = token.split('.')
  if (rest.length > 0) return undefined
  const valid = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: expected.publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  )
  if (!valid) return undefined
  try {
    const parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
    if (parsedHeader.alg !== expected.algorithm || claims.iss !== expected.issuer) return undefined
    if (claims.aud !== expected.audience || typeof claims.sub !== 'string') return undefined
    if (typeof claims.exp !== 'number' || claims.exp <= expected.now) return undefined
    return claims as unknown as JwtClaims
  } catch {
    return undefined
  }
}
