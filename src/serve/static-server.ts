/**
 * The built-in static HTTP server of `hostplane serve`: what Traefik and nginx do together in a
 * cluster, in one `node:http` server. Routing and file rules come from `serving-rules.ts`; files
 * from `published-trees.ts`. Small files are answered from memory, larger ones streamed.
 *
 * Bounded by construction: header size (431 past `maxHeaderBytes`; 414 when the request line is
 * what is too long), time to receive headers and the whole request, idle keep-alive time, path
 * length (414). Requests Node's parser refuses are answered here too (`client-error.ts`). A client
 * that half-closes after its request still gets the response. No access log on the data path;
 * `onResponse` gets one call per response for metrics, refused requests included.
 */
import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import { answerHalfClosedClients } from '../ops/half-closed-clients.js'
import { REVALIDATE_CACHE_CONTROL } from './cache-policy.js'
import { type ClientError, clientErrorStatus } from './client-error.js'
import { type FilePlan, planFileResponse, type ServedFile } from './file-response.js'
import { DEFAULT_TREE_CACHE_LIMITS, PublishedTrees, type TreeCacheLimits } from './published-trees.js'
import { SECURITY_HEADERS } from './security-headers.js'
import type { ServedSite } from './served-site.js'
import {
  type Decision,
  candidatePaths,
  resolveInTree,
  routeRequest,
  siteHeaders,
  type SitePath,
} from './serving-rules.js'
import { SiteRoutes } from './site-routes.js'

export interface ServerLimits {
  /** Largest request head; larger gets 431 (414 when the request line is too long). @default 16384 */
  readonly maxHeaderBytes: number
  /** Time to receive the request headers. @default 10000 */
  readonly headersTimeoutMs: number
  /** Time to receive the whole request. @default 30000 */
  readonly requestTimeoutMs: number
  /** Idle time before a keep-alive connection is closed. @default 5000 */
  readonly keepAliveTimeoutMs: number
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
}

export interface ResponseEvent {
  /** Site key, or undefined when no site matched. */
  readonly site: string | undefined
  readonly status: number
}

export interface StaticServerOptions {
  /** Sites oldest first: the first claim of a (domain, pathPrefix) wins. */
  readonly sites: readonly ServedSite[]
  /** Directory holding one publish link per site key. */
  readonly root: string
  readonly log: Logger
  readonly clock?: () => number
  readonly limits?: Partial<ServerLimits>
  readonly cache?: Partial<TreeCacheLimits>
  readonly onResponse?: (event: ResponseEvent) => void
  /** Called before routing; a request it answered (returned true for) goes no further, and counts as no site's. */
  readonly intercept?: (request: IncomingMessage, response: ServerResponse) => boolean
}

const SECURITY_HEADER_LIST: readonly string[] = SECURITY_HEADERS.flat()

const STATUS_BODIES: Readonly<Record<number, string>> = {
  400: 'Bad Request\n',
  404: 'Not Found\n',
  405: 'Method Not Allowed\n',
  408: 'Request Timeout\n',
  413: 'Content Too Large\n',
  414: 'URI Too Long\n',
  431: 'Request Header Fields Too Large\n',
  500: 'Internal Server Error\n',
}

export class StaticServer {
  private routes: SiteRoutes
  private readonly trees: PublishedTrees
  /** The HTTP server, then the HTTPS one once `listenTls` started it. */
  private readonly servers: Server[]
  private readonly limits: ServerLimits
  private readonly log: Logger
  private readonly onResponse: ((event: ResponseEvent) => void) | undefined
  private readonly intercept: StaticServerOptions['intercept']

  constructor({
    sites,
    root,
    log,
    clock = Date.now,
    limits,
    cache,
    onResponse,
    intercept,
  }: StaticServerOptions) {
    this.log = log
    this.onResponse = onResponse
    this.intercept = intercept
    this.limits = { ...DEFAULT_SERVER_LIMITS, ...limits }
    this.trees = new PublishedTrees(root, clock, { ...DEFAULT_TREE_CACHE_LIMITS, ...cache })
    this.routes = SiteRoutes.build(sites)
    this.servers = [
      this.prepare(createServer(this.serverOptions(), (request, response) => this.handle(request, response))),
    ]
  }

  /** What every listener of this server does beyond routing requests. */
  private prepare<S extends Server>(server: S): S {
    server.on('clientError', (error: ClientError, socket: Duplex) => this.refuse(error, socket))
    return answerHalfClosedClients(server)
  }

  private serverOptions() {
    return {
      maxHeaderSize: this.limits.maxHeaderBytes,
      headersTimeout: this.limits.headersTimeoutMs,
      requestTimeout: this.limits.requestTimeoutMs,
      keepAliveTimeout: this.limits.keepAliveTimeoutMs,
      // Node checks the header and request timeouts on this interval (30 s by default), which
      // would let a slow client hold a connection three times longer than the limit says.
      connectionsCheckingInterval: Math.min(1000, this.limits.headersTimeoutMs),
      noDelay: true,
    }
  }

  /**
   * Replaces the site set (sites that hold their domains: see SiteRoutes); requests already routed
   * finish with the old one.
   */
  updateSites(sites: readonly ServedSite[]): void {
    this.routes = SiteRoutes.build(sites)
    this.trees.retain(new Set(sites.map((site) => site.key)))
  }

  /** The publish link of a site changed (the syncer calls this after a switch). */
  notifyPublished(key: string): void {
    this.trees.notify(key)
  }

  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    return listenOn(this.servers[0] as Server, port, host)
  }

  /**
   * Serves the same sites over HTTPS as well, on a second listener; `tls` picks the certificate
   * (an SNI callback). The TLS handshake has the time limit of request headers.
   */
  async listenTls(port: number, host: string, tls: Pick<TlsOptions, 'SNICallback'>): Promise<AddressInfo> {
    const server = this.prepare(
      createTlsServer(
        {
          ...this.serverOptions(),
          ...tls,
          handshakeTimeout: this.limits.headersTimeoutMs,
          minVersion: 'TLSv1.2',
        },
        (request, response) => this.handle(request, response),
      ),
    )
    this.servers.push(server)
    return listenOn(server, port, host)
  }

  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts what is left. */
  async close(graceMs = 5000): Promise<void> {
    await Promise.all(
      this.servers.map(async (server) => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        const timer = setTimeout(() => server.closeAllConnections(), graceMs)
        await closed
        clearTimeout(timer)
      }),
    )
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (this.intercept?.(request, response))
      return this.onResponse?.({ site: undefined, status: response.statusCode })
    const decision = routeRequest(
      {
        method: request.method ?? '',
        host: request.headers.host,
        target: request.url ?? '/',
        scheme: 'encrypted' in request.socket ? 'https' : 'http',
      },
      this.routes,
    )
    if (decision.kind !== 'site') return this.answer(request, response, undefined, undefined, decision)
    this.serveSite(request, response, decision.site, decision.sitePath, true)
  }

  /** `retry`: whether a file whose tree a publish deleted meanwhile may be looked up again. */
  private serveSite(
    request: IncomingMessage,
    response: ServerResponse,
    site: ServedSite,
    sitePath: SitePath,
    retry: boolean,
  ): void {
    const tree = this.trees.current(site.key)
    if (tree instanceof Promise) {
      tree.then(
        (resolved) => this.serveFromTree(request, response, site, sitePath, resolved, retry),
        (error: unknown) => this.fail(response, site, error),
      )
    } else this.serveFromTree(request, response, site, sitePath, tree, retry)
  }

  private serveFromTree(
    request: IncomingMessage,
    response: ServerResponse,
    site: ServedSite,
    sitePath: SitePath,
    tree: string | undefined,
    retry: boolean,
  ): void {
    if (tree === undefined)
      return this.answer(request, response, site, sitePath, { kind: 'status', status: 404 })
    const loading = this.trees.load(tree, candidatePaths(site, sitePath))
    const decide = () => {
      const decision = resolveInTree(site, sitePath, (path) => this.trees.probe(tree, path))
      const file = decision.kind === 'file' ? this.trees.file(tree, decision.path) : undefined
      // The link has moved on when the tree is gone: the new one has the answer.
      const again = retry
        ? () => {
            this.trees.notify(site.key)
            this.serveSite(request, response, site, sitePath, false)
          }
        : undefined
      this.answer(request, response, site, sitePath, decision, file, again)
    }
    if (loading) loading.then(decide, (error: unknown) => this.fail(response, site, error))
    else decide()
  }

  private answer(
    request: IncomingMessage,
    response: ServerResponse,
    site: ServedSite | undefined,
    sitePath: SitePath | undefined,
    decision: Decision,
    file?: ServedFile,
    retry?: () => void,
  ): void {
    const ruleHeaders = site && sitePath ? siteHeaders(site, sitePath.path) : undefined
    if (decision.kind === 'file' && file) {
      const plan = planFileResponse(file, decision.status, {
        acceptEncoding: request.headers['accept-encoding'],
        ifNoneMatch: request.headers['if-none-match'],
        ifModifiedSince: request.headers['if-modified-since'],
        range: request.headers.range,
        ifRange: firstValue(request.headers['if-range']),
      })
      if (site && readsFromDisk(request, plan))
        return this.openThenSend(request, response, site, file, plan, ruleHeaders, retry)
      this.sendFile(request, response, file, plan, ruleHeaders)
    } else if (decision.kind === 'redirect') {
      const headers = [...SECURITY_HEADER_LIST, 'Location', decision.location, 'Content-Length', '0']
      response.writeHead(decision.status, withRules(headers, ruleHeaders)).end()
    } else {
      const status = decision.kind === 'status' ? decision.status : 404
      this.sendText(request, response, status, ruleHeaders)
    }
    this.onResponse?.({ site: site?.key, status: response.statusCode })
  }

  /**
   * Opens the file before any header is sent. A publish that deletes the tree later cannot cut the
   * response short (an open file outlives its unlink); one that deleted it already is seen here,
   * while the request can still be answered from the tree that replaced it, or with a clean 500.
   */
  private openThenSend(
    request: IncomingMessage,
    response: ServerResponse,
    site: ServedSite,
    file: ServedFile,
    plan: FilePlan,
    ruleHeaders: Readonly<Record<string, string>> | undefined,
    retry: (() => void) | undefined,
  ): void {
    open(plan.version.file, constants.O_RDONLY | constants.O_NOFOLLOW).then(
      (handle) => {
        if (response.destroyed) return void handle.close()
        this.sendFile(request, response, file, plan, ruleHeaders, handle)
        this.onResponse?.({ site: site.key, status: response.statusCode })
      },
      (error: unknown) => (retry && isGone(error) ? retry() : this.fail(response, site, error)),
    )
  }

  /** `handle`: the open file, when `readsFromDisk` said the body comes from disk. */
  private sendFile(
    request: IncomingMessage,
    response: ServerResponse,
    file: ServedFile,
    plan: FilePlan,
    ruleHeaders: Readonly<Record<string, string>> | undefined,
    handle?: FileHandle,
  ): void {
    const { version, range, status } = plan
    // Built as node's flat [name, value, ...] list and written once: much cheaper than setHeader.
    const headers = [
      ...SECURITY_HEADER_LIST,
      'Content-Type',
      file.contentType,
      'Cache-Control',
      // A 404 page is never cached for long, even under a fingerprinted name: the path may appear.
      status === 404 ? REVALIDATE_CACHE_CONTROL : file.cacheControl,
    ]
    if (status !== 404)
      headers.push('ETag', version.etag, 'Last-Modified', version.lastModified, 'Accept-Ranges', 'bytes')
    if (file.br || file.gzip) headers.push('Vary', 'Accept-Encoding')
    if (plan.encoding) headers.push('Content-Encoding', plan.encoding)
    if (status === 304) return void response.writeHead(304, withRules(headers, ruleHeaders)).end()
    if (status === 416) {
      headers.push('Content-Range', `bytes */${version.size}`, 'Content-Length', '0')
      return void response.writeHead(416, withRules(headers, ruleHeaders)).end()
    }
    const start = range?.start ?? 0
    const end = range?.end ?? version.size - 1
    if (range) headers.push('Content-Range', `bytes ${start}-${end}/${version.size}`)
    headers.push('Content-Length', String(end - start + 1))
    response.writeHead(status, withRules(headers, ruleHeaders))
    if (request.method === 'HEAD' || version.size === 0) return void response.end()
    if (version.body) return void response.end(range ? version.body.subarray(start, end + 1) : version.body)
    if (!handle) return this.dropAfterReadError(response, version.file, new Error('the file was not opened'))
    const stream = handle.createReadStream({ start, end })
    stream.on('error', (error) => this.dropAfterReadError(response, version.file, error))
    // A client that leaves early must not keep the file open.
    response.once('close', () => stream.destroy())
    stream.pipe(response)
  }

  private dropAfterReadError(response: ServerResponse, file: string, error: unknown): void {
    this.log.warn({ err: error, file }, 'reading a published file failed')
    response.destroy()
  }

  private sendText(
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    ruleHeaders?: Readonly<Record<string, string>>,
  ): void {
    const body = STATUS_BODIES[status] ?? '\n'
    const headers = [
      ...SECURITY_HEADER_LIST,
      'Content-Type',
      'text/plain; charset=utf-8',
      'Cache-Control',
      REVALIDATE_CACHE_CONTROL,
      'Content-Length',
      String(Buffer.byteLength(body)),
    ]
    if (status === 405) headers.push('Allow', 'GET, HEAD')
    response.writeHead(status, withRules(headers, ruleHeaders))
    response.end(request.method === 'HEAD' ? undefined : body)
  }

  /**
   * Answers a request Node's parser refused (too long, malformed, too slow), with the same headers
   * as any plain answer, and counts it. Nothing is written while a response of the connection is
   * being sent: that would corrupt it.
   */
  private refuse(error: ClientError, socket: Duplex): void {
    const status = clientErrorStatus(error)
    // Node keeps the response being written on its socket, and checks the same before its own answer.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
    if (status === undefined || !socket.writable || inFlight?.headersSent) return void socket.destroy()
    const body = STATUS_BODIES[status] ?? '\n'
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      ...SECURITY_HEADERS.map(([name, value]) => `${name}: ${value}`),
      'Content-Type: text/plain; charset=utf-8',
      `Cache-Control: ${REVALIDATE_CACHE_CONTROL}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
    ]
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy())
    this.onResponse?.({ site: undefined, status })
  }

  private fail(response: ServerResponse, site: ServedSite, error: unknown): void {
    this.log.error({ err: error, siteKey: site.key }, 'serving a request failed')
    if (response.headersSent) return void response.destroy()
    response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(STATUS_BODIES[500])
    this.onResponse?.({ site: site.key, status: 500 })
  }
}

async function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server.address() as AddressInfo
}

/** Whether the body of this plan is read from disk (a GET of a file too large to keep in memory). */
const readsFromDisk = (request: IncomingMessage, { status, version }: FilePlan) =>
  request.method !== 'HEAD' &&
  (status === 200 || status === 206 || status === 404) &&
  version.size > 0 &&
  version.body === undefined

/** The tree (or the file) is no longer there: a publish removed it. */
const isGone = (error: unknown) =>
  error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR')

const firstValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)

/** Rule headers replace the defaults of the same name (a site may set its own X-Frame-Options). */
function withRules(headers: string[], rules: Readonly<Record<string, string>> | undefined): string[] {
  if (!rules) return headers
  const replaced = new Set(Object.keys(rules).map((name) => name.toLowerCase()))
  const kept: string[] = []
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] ?? ''
    if (!replaced.has(name.toLowerCase())) kept.push(name, headers[i + 1] ?? '')
  }
  for (const [name, value] of Object.entries(rules)) kept.push(name, value)
  return kept
}
