/**
 * A thin JSON client for the Kubernetes REST API. client-node's typed serializer drops fields it
 * has no model name for (for example `x-kubernetes-validations` inside a CRD schema), so objects
 * we apply verbatim go over this client instead: the bytes we send are the object we built.
 */
import type { IncomingMessage } from 'node:http'
import { Agent, type RequestOptions, request } from 'node:https'
import type { KubeCredentials } from './kubeconfig.js'

/** The Status body of a failed request, with the HTTP status code. */
export class KubeApiError extends Error {
  override name = 'KubeApiError'
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
    /** The Status object's own message, without the request line `message` starts with. */
    readonly statusMessage: string = message,
  ) {
    super(message)
  }
}

export const isNotFound = (error: unknown) => error instanceof KubeApiError && error.status === 404
export const isConflict = (error: unknown) => error instanceof KubeApiError && error.status === 409
export const isGone = (error: unknown) => error instanceof KubeApiError && error.status === 410

type Query = Record<string, string | number | boolean | undefined>

export interface RequestParams {
  readonly query?: Query
  readonly body?: unknown
  readonly contentType?: string
  /** Defaults to JSON; e.g. the server-side Table format `kubectl get` uses. */
  readonly accept?: string
  readonly timeoutMs?: number
}

/**
 * Header lines a client adds to every request; an array value is sent as one line per entry, as
 * the API server reads a repeated `Impersonate-Group` (a comma-joined line would be one group).
 */
export type ExtraHeaders = Readonly<Record<string, string | readonly string[]>>

export interface ResourcePath {
  readonly apiVersion: string
  readonly plural: string
  readonly namespace?: string
  readonly name?: string
  readonly subresource?: string
}

/** `/api/v1/namespaces/ns/pods/name` or `/apis/group/version/...` for a resource. */
export function resourcePath({ apiVersion, plural, namespace, name, subresource }: ResourcePath): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
  const parts = [base, namespace ? `namespaces/${encodeURIComponent(namespace)}` : '', plural]
  if (name) parts.push(encodeURIComponent(name))
  if (subresource) parts.push(subresource)
  return parts.filter(Boolean).join('/')
}

const readBody = (res: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (chunk: Buffer) => chunks.push(chunk))
    res.on('error', reject)
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
  })

function apiError(method: string, url: URL, status: number, text: string): KubeApiError {
  let body: { reason?: string; message?: string; details?: unknown } = {}
  try {
    body = JSON.parse(text) as typeof body
  } catch {
    // Not a Status object (e.g. a proxy's HTML page): the raw text goes into the message.
  }
  const said = body.message ?? text.slice(0, 500)
  return new KubeApiError(
    status,
    body.reason ?? 'Unknown',
    `${method} ${url.pathname}: ${status} ${said}`,
    body.details,
    said,
  )
}

export class KubeRest {
  private readonly server: URL
  private agent: Agent | undefined
  private agentIdentity = ''

  constructor(
    private readonly kubeConfig: KubeCredentials,
    private readonly defaults: {
      readonly timeoutMs?: number
      readonly userAgent?: string
      readonly headers?: ExtraHeaders
    } = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster()
    if (!cluster) throw new Error('the kubeconfig has no current cluster')
    this.server = new URL(cluster.server)
  }

  /** TLS material and auth headers from the kubeconfig; re-read per request so rotated tokens apply. */
  private async options(): Promise<RequestOptions> {
    const options: RequestOptions = {}
    await this.kubeConfig.applyToHTTPSOptions(options)
    // An exec plugin may hand out a new client certificate when the old one expires; the agent's
    // pooled connections carry the old one, so a new certificate gets a new agent.
    const identity = `${String(options.cert ?? '')}\n${String(options.key ?? '')}`
    if (this.agent && identity === this.agentIdentity) return options
    this.agentIdentity = identity
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 64,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      rejectUnauthorized: options.rejectUnauthorized,
      servername: options.servername,
    })
    return options
  }

  /**
   * A refused request's error. A 401 means the credential is no longer good (revoked, or expired
   * earlier than it said): the kubeconfig fetches a new one for the retry, as client-go does.
   */
  private failed(method: string, url: URL, status: number, text: string): KubeApiError {
    if (status === 401) this.kubeConfig.forgetCredential?.()
    return apiError(method, url, status, text)
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(path, this.server)
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value))
    }
    return url
  }

  private async send(
    method: string,
    url: URL,
    params: { body?: Buffer; contentType?: string; accept?: string; timeoutMs: number; signal?: AbortSignal },
  ): Promise<IncomingMessage> {
    const options = await this.options()
    const headers: Record<string, string | string[]> = {
      ...(this.defaults.headers as Record<string, string | string[]> | undefined),
      ...(options.headers as Record<string, string> | undefined),
      accept: params.accept ?? 'application/json',
      'user-agent': this.defaults.userAgent ?? 'hostplane',
    }
    if (params.body) {
      headers['content-type'] = params.contentType ?? 'application/json'
      headers['content-length'] = String(params.body.length)
    }
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { method, headers, agent: this.agent, timeout: params.timeoutMs, signal: params.signal },
        resolve,
      )
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${url.pathname}: no answer within ${params.timeoutMs} ms`)),
      )
      req.on('error', reject)
      req.end(params.body)
    })
  }

  async request<T>(method: string, path: string, params: RequestParams = {}): Promise<T> {
    const text = await this.text(method, path, params)
    return (text ? JSON.parse(text) : undefined) as T
  }

  /** The answer's body as it came, for the API's few non-JSON answers (a container's log). */
  async text(method: string, path: string, params: RequestParams = {}): Promise<string> {
    const url = this.url(path, params.query)
    const res = await this.send(method, url, {
      body: params.body === undefined ? undefined : Buffer.from(JSON.stringify(params.body)),
      contentType: params.contentType,
      accept: params.accept,
      timeoutMs: params.timeoutMs ?? this.defaults.timeoutMs ?? 30_000,
    })
    const text = await readBody(res)
    const status = res.statusCode ?? 0
    if (status < 200 || status >= 300) throw this.failed(method, url, status, text)
    return text
  }

  /**
   * Server-side apply: the object as sent becomes the field manager's complete intent. `dryRun`:
   * the API server validates and admits it as it would, and stores nothing.
   */
  apply<T>(
    path: string,
    object: unknown,
    {
      fieldManager,
      force = true,
      dryRun = false,
    }: { fieldManager: string; force?: boolean; dryRun?: boolean },
  ) {
    return this.request<T>('PATCH', path, {
      query: { fieldManager, force, ...(dryRun ? { dryRun: 'All' } : {}) },
      body: object,
      contentType: 'application/apply-patch+yaml',
    })
  }

  /**
   * Streams a watch, calling `onOpen` once the server accepted it and `onEvent` for each event,
   * until the server ends it (its `timeoutSeconds`), nothing arrives for `idleTimeoutMs` (a hung
   * server or a dead connection: rejects), or `signal` aborts. A refused watch (e.g. 410 Gone)
   * rejects with its KubeApiError.
   */
  async watch(
    path: string,
    query: Query,
    onEvent: (event: unknown) => void,
    { signal, idleTimeoutMs, onOpen }: { signal: AbortSignal; idleTimeoutMs: number; onOpen?: () => void },
  ): Promise<void> {
    const url = this.url(path, { ...query, watch: 1 })
    // The socket timeout covers the wait for the answer; the stream's own timer below, shorter, fires first.
    const res = await this.send('GET', url, { timeoutMs: idleTimeoutMs + 5000, signal })
    if (res.statusCode !== 200) throw this.failed('GET', url, res.statusCode ?? 0, await readBody(res))
    onOpen?.()
    res.setEncoding('utf8')
    let buffered = ''
    await new Promise<void>((resolve, reject) => {
      const idle = setTimeout(() => {
        const error = new Error(
          `GET ${url.pathname}: watch got no event or bookmark within ${idleTimeoutMs / 1000} s`,
        )
        reject(error)
        res.destroy(error)
      }, idleTimeoutMs)
      res.on('data', (chunk: string) => {
        idle.refresh()
        buffered += chunk
        let newline = buffered.indexOf('\n')
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim()
          buffered = buffered.slice(newline + 1)
          if (line) {
            try {
              onEvent(JSON.parse(line))
            } catch (error) {
              res.destroy(error as Error)
              return
            }
          }
          newline = buffered.indexOf('\n')
        }
      })
      res.on('end', resolve)
      res.on('close', () => {
        clearTimeout(idle)
        resolve()
      })
      res.on('error', (error) => (signal.aborted ? resolve() : reject(error)))
    })
  }

  close(): void {
    this.agent?.destroy()
  }
}
