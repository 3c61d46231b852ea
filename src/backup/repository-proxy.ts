/**
 * The backup target as the backup Jobs see it: restic's REST protocol (what `rest:` repositories
 * speak), one repository per customer, stored in the target's bucket. Tenants' Jobs never hold
 * the bucket's credentials — a Job in a tenant namespace is readable by its tenant — only their
 * own customer's token, which opens that customer's repository and nothing else: the customer in
 * the path must be the one the token belongs to, every object name is checked, and each maps to
 * `<prefix><customer>/…` in the restic S3 layout (so an admin can open a repository directly
 * with restic's `s3:` backend in a disaster).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import type { S3Client } from './s3-client.js'

const TYPES = ['data', 'keys', 'locks', 'snapshots', 'index'] as const
type ObjectType = (typeof TYPES)[number]
const NAME = /^[0-9a-f]{64}$/
const CUSTOMER = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const V2 = 'application/vnd.x.restic.rest.v2'

export interface RepositoryProxyOptions {
  readonly s3: S3Client
  /** Where the repositories live in the bucket, e.g. `hostplane/` (ends with / when set). */
  readonly prefix: string
  /** The SHA-256 (hex) of the customer's token, or undefined for a customer without one. */
  readonly tokenHash: (customer: string) => string | undefined | Promise<string | undefined>
  /** Largest object a client may write (restic's packs are 4–16 MiB by default). */
  readonly maxObjectBytes?: number
  /** Told of every request once its answer is complete or cut, for a log line and metrics. */
  readonly onAnswered?: (request: ProxiedRequest) => void
}

/** What the proxy did with one request: nothing a client sent but its method, never a token. */
export interface ProxiedRequest {
  /** The customer its token proved; undefined when it proved none. */
  readonly customer?: string
  readonly method: string
  /** What it addressed: an object type (`data`, `keys`, …), `config`, `repository`, or `none`. */
  readonly type: string
  readonly status: number
  /** Bytes of objects stored. */
  readonly bytesIn: number
  /** Bytes of objects and listings sent. */
  readonly bytesOut: number
  readonly durationMs: number
  /** The bucket's failure (the answer was 502, or cut). */
  readonly error?: Error
  /** The answer was not complete: the client went away, or the bucket failed mid-way. */
  readonly aborted: boolean
}

/** What the handler learns of a request as it goes. */
interface Seen {
  customer?: string
  type: string
  bytesIn: number
  bytesOut: number
  error?: Error
}

type Route =
  | { readonly customer: string; readonly what: 'repository' }
  | { readonly customer: string; readonly what: 'config' }
  | { readonly customer: string; readonly what: 'list'; readonly type: ObjectType }
  | { readonly customer: string; readonly what: 'object'; readonly type: ObjectType; readonly name: string }

/** The route of a request path, or undefined for one that is not a restic REST path. */
export function routeOf(path: string): Route | undefined {
  const parts = path.split('/')
  const [empty, customer = '', second, third, ...rest] = parts
  if (empty !== '' || !CUSTOMER.test(customer) || rest.length > 0) return undefined
  if (second === '' && third === undefined) return { customer, what: 'repository' }
  if (second === 'config' && third === undefined) return { customer, what: 'config' }
  const type = TYPES.find((t) => t === second)
  if (!type) return undefined
  if (third === '') return { customer, what: 'list', type }
  if (third !== undefined && NAME.test(third)) return { customer, what: 'object', type, name: third }
  return undefined
}

/** restic's S3 layout: data objects under a directory of their first two hex digits. */
const keyOf = (prefix: string, route: Route): string => {
  const base = `${prefix}${route.customer}/`
  if (route.what === 'config') return `${base}config`
  if (route.what === 'object')
    return route.type === 'data'
      ? `${base}data/${route.name.slice(0, 2)}/${route.name}`
      : `${base}${route.type}/${route.name}`
  return route.what === 'list' ? `${base}${route.type}/` : base
}

/** The customer a request's Basic credentials prove, or undefined. */
async function authenticated(
  request: IncomingMessage,
  tokenHash: RepositoryProxyOptions['tokenHash'],
): Promise<string | undefined> {
  const header = request.headers.authorization ?? ''
  if (!header.startsWith('Basic ')) return undefined
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  const customer = decoded.slice(0, colon)
  const expected = CUSTOMER.test(customer) ? await tokenHash(customer) : undefined
  if (!expected || !/^[0-9a-f]{64}$/.test(expected)) return undefined
  const given = createHash('sha256')
    .update(decoded.slice(colon + 1))
    .digest()
  return timingSafeEqual(given, Buffer.from(expected, 'hex')) ? customer : undefined
}

const answer = (response: ServerResponse, status: number, text = '') => {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  })
  response.end(text)
}

/**
 * The request handler of `hostplane backup-proxy`: a failure of the bucket becomes 502 with what
 * it said (never its credentials), or a cut connection once the answer has begun.
 */
export function repositoryProxy(options: RepositoryProxyOptions) {
  const handle = proxyHandler(options)
  const { onAnswered } = options
  return (request: IncomingMessage, response: ServerResponse): void => {
    const started = performance.now()
    const seen: Seen = { type: 'none', bytesIn: 0, bytesOut: 0 }
    if (onAnswered)
      response.once('close', () =>
        onAnswered({
          ...seen,
          method: request.method ?? 'GET',
          status: response.statusCode,
          durationMs: performance.now() - started,
          aborted: !response.writableFinished,
        }),
      )
    handle(request, response, seen).catch((error: unknown) => {
      seen.error = error instanceof Error ? error : new Error(String(error))
      if (response.headersSent) response.destroy()
      else answer(response, 502, `${seen.error.message}\n`)
    })
  }
}

function proxyHandler(options: RepositoryProxyOptions) {
  const { s3, prefix } = options
  const maxObjectBytes = options.maxObjectBytes ?? 128 * 1024 ** 2
  return async (request: IncomingMessage, response: ServerResponse, seen: Seen): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://proxy')
    const route = routeOf(url.pathname)
    const customer = await authenticated(request, options.tokenHash)
    if (!customer) {
      response.setHeader('www-authenticate', 'Basic realm="hostplane backups"')
      return answer(response, 401, 'a customer and its token are needed\n')
    }
    seen.customer = customer
    // The same answer for another customer's path and a path that is not one: nothing to probe.
    if (!route || route.customer !== customer) return answer(response, 404, 'not found\n')
    seen.type = route.what === 'list' || route.what === 'object' ? route.type : route.what
    const key = keyOf(prefix, route)
    const method = request.method ?? 'GET'
    if (route.what === 'repository') {
      // S3 has no directories to create; deleting a repository is the admin's, never a Job's.
      if (method === 'POST' && url.searchParams.get('create') === 'true') return answer(response, 200)
      return answer(response, 405, 'only ?create=true\n')
    }
    if (route.what === 'list') {
      if (method !== 'GET') return answer(response, 405)
      const objects = await s3.list(key)
      const names = objects
        .map((object) => ({ name: object.key.slice(object.key.lastIndexOf('/') + 1), size: object.size }))
        .filter((object) => NAME.test(object.name))
      const v2 = (request.headers.accept ?? '').includes(V2)
      const body = JSON.stringify(v2 ? names : names.map((object) => object.name))
      seen.bytesOut = Buffer.byteLength(body)
      response.writeHead(200, {
        'content-type': v2 ? V2 : 'application/vnd.x.restic.rest.v1',
        'content-length': seen.bytesOut,
      })
      return void response.end(body)
    }
    if (method === 'HEAD') {
      const size = await s3.head(key)
      if (size === undefined) return answer(response, 404)
      response.writeHead(200, { 'content-length': size })
      return void response.end()
    }
    if (method === 'GET') {
      const range =
        typeof request.headers.range === 'string' && /^bytes=\d*-\d*$/.test(request.headers.range)
          ? request.headers.range
          : undefined
      const object = await s3.get(key, range)
      if (!object) return answer(response, 404)
      response.writeHead(object.statusCode ?? 200, {
        'content-type': 'application/octet-stream',
        ...(object.headers['content-length'] ? { 'content-length': object.headers['content-length'] } : {}),
        ...(object.headers['content-range'] ? { 'content-range': object.headers['content-range'] } : {}),
      })
      return pipeline(
        object,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            seen.bytesOut += chunk.length
            yield chunk
          }
        },
        response,
      )
    }
    if (method === 'POST') {
      const length = Number(request.headers['content-length'])
      if (!Number.isInteger(length) || length < 0)
        return answer(response, 411, 'a Content-Length is needed\n')
      if (length > maxObjectBytes)
        return answer(response, 413, `objects are at most ${maxObjectBytes} bytes\n`)
      await s3.put(key, request, length)
      seen.bytesIn = length
      return answer(response, 200)
    }
    if (method === 'DELETE' && route.what === 'object') {
      await s3.delete(key)
      return answer(response, 200)
    }
    return answer(response, 405)
  }
}
