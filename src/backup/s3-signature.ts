/**
 * AWS Signature Version 4 for S3 requests (pure): what the backup target's bucket needs to accept
 * a request signed with its credentials. Path-style URLs and `UNSIGNED-PAYLOAD` (the body streams
 * through; TLS protects it on the way and restic has authenticated and encrypted it already).
 * Checked against botocore's signer in the tests.
 */
import { createHash, createHmac } from 'node:crypto'

export interface S3Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly region: string
}

export interface S3Request {
  readonly method: string
  /** The URL's host (with the port when it is not the scheme's). */
  readonly host: string
  /** Decoded path, e.g. `/bucket/prefix/acme/data/ab…`. */
  readonly path: string
  readonly query?: Readonly<Record<string, string>>
  /** Headers to sign besides host, x-amz-date and x-amz-content-sha256 (e.g. range). */
  readonly headers?: Readonly<Record<string, string>>
  /** Default: UNSIGNED-PAYLOAD. */
  readonly payloadHash?: string
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest()

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, '/' kept in paths. */
const encode = (text: string, keepSlash: boolean) =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte)
      return /[A-Za-z0-9\-._~]/.test(char) || (keepSlash && char === '/')
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
    })
    .join('')

/** A decoded path as S3 reads it on the wire (and signs it). */
export const encodeS3Path = (path: string) => encode(path, true)

/** A query string as S3 signs it: encoded, sorted; sent as it is. */
export const canonicalQuery = (query: Readonly<Record<string, string>>) =>
  Object.entries(query)
    .map(([k, v]) => [encode(k, false), encode(v, false)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')

/** The headers that sign `request` at `now`: Authorization, x-amz-date, x-amz-content-sha256 and the given ones. */
export function signS3Request(
  request: S3Request,
  credentials: S3Credentials,
  now: Date,
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  const date = amzDate.slice(0, 8)
  const payloadHash = request.payloadHash ?? 'UNSIGNED-PAYLOAD'
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v.trim()])),
    host: request.host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
  }
  const names = Object.keys(headers).sort()
  const query = canonicalQuery(request.query ?? {})
  const canonical = [
    request.method,
    encodeS3Path(request.path),
    query,
    names.map((name) => `${name}:${headers[name]}\n`).join(''),
    names.join(';'),
    payloadHash,
  ].join('\n')
  const scope = `${date}/${credentials.region}/s3/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n')
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date), credentials.region), 's3'),
    'aws4_request',
  )
  const signature = createHmac('sha256', key).update(toSign).digest('hex')
  return {
    ...Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'host')),
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  }
}
