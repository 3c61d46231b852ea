/**
 * A thin JSON client for the Kubernetes REST API. client-node's typed serializer drops fields it
 * has no model name for (for example `x-kubernetes-validations` inside a CRD schema), so objects
 * we apply verbatim go over this client instead: the bytes we send are the object we built.
 */
import { Agent, type RequestOptions, request } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'

/** The Status body of a failed request, with the HTTP status code. */
export class KubeApiError extends Error {
  override name = 'KubeApiError'
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

export const isNotFound = (error: unknown) => error instanceof KubeApiError && error.status === 404
export const isConflict = (error: unknown) => error instanceof KubeApiError && error.status === 409

export interface RequestParams {
  readonly query?: Record<string, string | number | boolean | undefined>
  readonly body?: unknown
  readonly contentType?: string
  /** Defaults to JSON; e.g. the server-side Table format `kubectl get` uses. */
  readonly accept?: string
  readonly timeoutMs?: number
}

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

export class KubeRest {
  private readonly server: URL
  private agent: Agent | undefined

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly defaults: { readonly timeoutMs?: number; readonly userAgent?: string } = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster()
    if (!cluster) throw new Error('the kubeconfig has no current cluster')
    this.server = new URL(cluster.server)
  }

  /** TLS material and auth headers from the kubeconfig; re-read per request so rotated tokens apply. */
  private async options(): Promise<RequestOptions> {
    const options: RequestOptions = {}
    await this.kubeConfig.applyToHTTPSOptions(options)
    this.agent ??= new Agent({
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

  async request<T>(method: string, path: string, params: RequestParams = {}): Promise<T> {
    const url = new URL(path, this.server)
    for (const [key, value] of Object.entries(params.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value))
    }
    const options = await this.options()
    const payload = params.body === undefined ? undefined : Buffer.from(JSON.stringify(params.body))
    const headers: Record<string, string> = {
      ...(options.headers as Record<string, string> | undefined),
      accept: params.accept ?? 'application/json',
      'user-agent': this.defaults.userAgent ?? 'hostplane',
    }
    if (payload) {
      headers['content-type'] = params.contentType ?? 'application/json'
      headers['content-length'] = String(payload.length)
    }
    const timeoutMs = params.timeoutMs ?? this.defaults.timeoutMs ?? 30_000
    return new Promise<T>((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const status = res.statusCode ?? 0
          let parsed: unknown
          try {
            parsed = text ? JSON.parse(text) : undefined
          } catch {
            parsed = text
          }
          if (status >= 200 && status < 300) return resolve(parsed as T)
          const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
            reason?: string
            message?: string
            details?: unknown
          }
          reject(
            new KubeApiError(
              status,
              body.reason ?? 'Unknown',
              `${method} ${url.pathname}: ${status} ${body.message ?? text.slice(0, 500)}`,
              body.details,
            ),
          )
        })
      })
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${url.pathname}: no answer within ${timeoutMs} ms`)),
      )
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Server-side apply: the object as sent becomes the field manager's complete intent. */
  apply<T>(
    path: string,
    object: unknown,
    { fieldManager, force = true }: { fieldManager: string; force?: boolean },
  ) {
    return this.request<T>('PATCH', path, {
      query: { fieldManager, force },
      body: object,
      contentType: 'application/apply-patch+yaml',
    })
  }

  close(): void {
    this.agent?.destroy()
  }
}
