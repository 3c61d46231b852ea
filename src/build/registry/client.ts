/**
 * An OCI distribution client (the registry HTTP API v2) on Node's fetch: resolve a manifest (OCI
 * image manifest or Docker schema 2; an index or manifest list resolves to linux/amd64), read
 * blobs, upload blobs (cross-repository mount first, else one monolithic POST + PUT) and put a
 * manifest. Authentication is anonymous, basic, a bearer token given as is, or the docker token
 * protocol (a `WWW-Authenticate: Bearer realm,service,scope` challenge answered at the realm).
 * Every request has a deadline, every body read is bounded, every digest is checked, and no
 * message ever carries a credential: errors name the registry, the repository, what failed and
 * what to change.
 */
import { createHash } from 'node:crypto'
import { DIGEST } from './reference.js'
import { BuildError } from '../build-error.js'
import { readBoundedBody } from '../../ops/bounded-body.js'

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const

const IMAGE_MANIFESTS: readonly string[] = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]
const INDEXES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]

export interface Platform {
  readonly os: string
  readonly architecture: string
}

export const LINUX_AMD64: Platform = { os: 'linux', architecture: 'amd64' }

export interface Descriptor {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
  readonly annotations?: Readonly<Record<string, string>>
  readonly platform?: Platform
}

export interface ImageManifest {
  readonly schemaVersion: 2
  readonly mediaType: string
  readonly config: Descriptor
  readonly layers: readonly Descriptor[]
  readonly annotations?: Readonly<Record<string, string>>
}

export interface ResolvedManifest {
  /** sha256:… of `bytes`: the image digest. */
  readonly digest: string
  readonly manifest: ImageManifest
  readonly bytes: Buffer
}

export type RegistryCredentials =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  /** A registry token used as is (no realm round trip), e.g. one the token service issued. */
  | { readonly kind: 'bearer'; readonly token: string }

export type BlobSource = Buffer | { readonly stream: ReadableStream<Uint8Array>; readonly size: number }

export interface RegistryClientOptions {
  /** host[:port] */
  readonly registry: string
  /** @default anonymous */
  readonly credentials?: RegistryCredentials
  /** Speak http instead of https. @default true only for localhost and loopback addresses */
  readonly plainHttp?: boolean
  /**
   * Where to connect instead of `registry` (a URL such as `http://registry.ns.svc:5000`), when the
   * host images are named by is not the way in from here: inside a cluster, the registry's Service
   * rather than its public name. Overrides plainHttp.
   */
  readonly endpoint?: string
  /** Deadline of a request without a blob body. @default 30 s */
  readonly requestTimeoutMs?: number
  /** Deadline of a blob download or upload. @default 10 min */
  readonly blobTimeoutMs?: number
  /** Largest manifest or index read. @default 4 MiB (distribution's own limit) */
  readonly maxManifestBytes?: number
}

const ERROR_BODY_BYTES = 16 * 1024
const TOKEN_BODY_BYTES = 64 * 1024

export const sha256 = (data: Uint8Array): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`

const isLoopback = (registry: string) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(registry)

const pullScope = (repository: string) => `repository:${repository}:pull`
const pushScope = (repository: string) => `repository:${repository}:pull,push`

interface Send {
  readonly method: string
  readonly url: URL
  readonly repository: string
  readonly scopes: readonly string[]
  readonly what: string
  readonly signal: AbortSignal
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: Buffer | ReadableStream<Uint8Array>
  readonly timeoutMs?: number
}

/** Parses `Bearer realm="…",service="…",scope="…"` (and `Basic realm="…"`). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ')
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
  const params: Record<string, string> = {}
  for (const match of header.slice(space + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g))
    params[(match[1] as string).toLowerCase()] = match[2] as string
  return { scheme, params }
}

export class RegistryClient {
  readonly registry: string
  private readonly base: URL
  private readonly credentials: RegistryCredentials
  private readonly requestTimeoutMs: number
  private readonly blobTimeoutMs: number
  private readonly maxManifestBytes: number
  private readonly tokens = new Map<string, string>()
  private basicAsked = false

  constructor(options: RegistryClientOptions) {
    const {
      registry,
      credentials = { kind: 'anonymous' },
      plainHttp = isLoopback(registry),
      endpoint,
      requestTimeoutMs = 30_000,
      blobTimeoutMs = 10 * 60_000,
      maxManifestBytes = 4 * 1024 ** 2,
    } = options
    this.registry = registry
    this.base = new URL(endpoint ?? `${plainHttp ? 'http' : 'https'}://${registry}`)
    this.credentials = credentials
    this.requestTimeoutMs = requestTimeoutMs
    this.blobTimeoutMs = blobTimeoutMs
    this.maxManifestBytes = maxManifestBytes
  }

  /**
   * The image manifest `reference` (a tag or a digest) names; an index or a manifest list is
   * followed to its `platform` entry. A digest reference must match the bytes received.
   */
  async resolveManifest(
    repository: string,
    reference: string,
    signal: AbortSignal,
    platform: Platform = LINUX_AMD64,
  ): Promise<ResolvedManifest> {
    const first = await this.getManifest(repository, reference, signal)
    if (!INDEXES.includes(first.mediaType)) return this.imageManifest(repository, reference, first)
    const entries = (first.json as { manifests?: unknown }).manifests
    const entry = (Array.isArray(entries) ? (entries as Descriptor[]) : []).find(
      (m) => m?.platform?.os === platform.os && m.platform.architecture === platform.architecture,
    )
    if (!entry || !DIGEST.test(entry.digest))
      throw new BuildError(
        'HP_ERR_REGISTRY_UNSUPPORTED',
        `${this.where(repository)}: ${reference} is an index without a ${platform.os}/${platform.architecture} image; pin a base image built for it`,
      )
    const second = await this.getManifest(repository, entry.digest, signal)
    if (INDEXES.includes(second.mediaType))
      throw new BuildError(
        'HP_ERR_REGISTRY_UNSUPPORTED',
        `${this.where(repository)}: ${entry.digest} is a nested index; pin the image manifest's digest instead`,
      )
    return this.imageManifest(repository, entry.digest, second)
  }

  /** A blob read whole, at most `maxBytes`, its digest checked. */
  async getBlob(
    repository: string,
    descriptor: Descriptor,
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<Buffer> {
    if (descriptor.size > maxBytes) throw this.tooLarge(repository, `blob ${descriptor.digest}`, maxBytes)
    const response = await this.openBlobResponse(repository, descriptor.digest, signal)
    const bytes = await this.readBounded(response, maxBytes, repository, `blob ${descriptor.digest}`)
    if (sha256(bytes) !== descriptor.digest) throw this.mismatch(repository, `blob ${descriptor.digest}`)
    return bytes
  }

  /** A blob as a stream, for copying it to another registry without holding it in memory. */
  async openBlob(repository: string, descriptor: Descriptor, signal: AbortSignal): Promise<BlobSource> {
    const response = await this.openBlobResponse(repository, descriptor.digest, signal)
    if (!response.body)
      throw this.failure(repository, `blob ${descriptor.digest}`, response.status, 'empty body')
    return { stream: response.body, size: descriptor.size }
  }

  async hasBlob(repository: string, digest: string, signal: AbortSignal): Promise<boolean> {
    const response = await this.send({
      method: 'HEAD',
      url: this.url(`/v2/${repository}/blobs/${digest}`),
      repository,
      scopes: [pullScope(repository)],
      what: `checking blob ${digest}`,
      signal,
    })
    if (response.status === 200) return true
    if (response.status === 404) return false
    throw await this.fail(response, repository, `checking blob ${digest}`)
  }

  /**
   * Asks the registry to link a blob `from` another repository it holds (no bytes move); false
   * when it would not (then the blob has to be uploaded).
   */
  async mountBlob(repository: string, digest: string, from: string, signal: AbortSignal): Promise<boolean> {
    const url = this.url(`/v2/${repository}/blobs/uploads/`)
    url.searchParams.set('mount', digest)
    url.searchParams.set('from', from)
    const what = `mounting blob ${digest} from ${from}`
    const response = await this.send({
      method: 'POST',
      url,
      repository,
      scopes: [pushScope(repository), pullScope(from)],
      what,
      signal,
    })
    if (response.status === 201) return true
    if (response.status !== 202) throw await this.fail(response, repository, what)
    // The registry opened an ordinary upload instead; it is abandoned (it expires by itself).
    const location = response.headers.get('location')
    if (location)
      await this.send({
        method: 'DELETE',
        url: new URL(location, this.base),
        repository,
        scopes: [],
        what,
        signal,
      })
        .then((r) => r.body?.cancel())
        .catch(() => undefined)
    return false
  }

  /** Uploads one blob monolithically (POST opens the upload, one PUT carries the bytes). */
  async pushBlob(repository: string, digest: string, source: BlobSource, signal: AbortSignal): Promise<void> {
    const what = `uploading blob ${digest}`
    const scopes = [pushScope(repository)]
    const start = await this.send({
      method: 'POST',
      url: this.url(`/v2/${repository}/blobs/uploads/`),
      repository,
      scopes,
      what,
      signal,
    })
    const location = start.headers.get('location')
    if (start.status !== 202 || !location) throw await this.fail(start, repository, what)
    await start.body?.cancel()
    const url = new URL(location, this.base)
    url.searchParams.set('digest', digest)
    const body = Buffer.isBuffer(source) ? source : source.stream
    const size = Buffer.isBuffer(source) ? source.length : source.size
    const response = await this.send({
      method: 'PUT',
      url,
      repository,
      scopes,
      what,
      signal,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      timeoutMs: this.blobTimeoutMs,
    })
    if (response.status !== 201) throw await this.fail(response, repository, what)
    await response.body?.cancel()
  }

  /** Puts a manifest under `reference` (a tag); returns its digest, checked against the registry's. */
  async putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    bytes: Buffer,
    signal: AbortSignal,
  ): Promise<string> {
    const digest = sha256(bytes)
    const what = `putting manifest ${reference}`
    const response = await this.send({
      method: 'PUT',
      url: this.url(`/v2/${repository}/manifests/${reference}`),
      repository,
      scopes: [pushScope(repository)],
      what,
      signal,
      headers: { 'content-type': mediaType },
      body: bytes,
    })
    if (response.status !== 201) throw await this.fail(response, repository, what)
    await response.body?.cancel()
    const stored = response.headers.get('docker-content-digest')
    if (stored && stored !== digest) throw this.mismatch(repository, `manifest ${reference}`)
    return digest
  }

  private async getManifest(
    repository: string,
    reference: string,
    signal: AbortSignal,
  ): Promise<{ mediaType: string; bytes: Buffer; json: unknown }> {
    const what = `reading manifest ${reference}`
    const response = await this.send({
      method: 'GET',
      url: this.url(`/v2/${repository}/manifests/${reference}`),
      repository,
      scopes: [pullScope(repository)],
      what,
      signal,
      headers: { accept: [...IMAGE_MANIFESTS, ...INDEXES].join(', ') },
    })
    if (response.status !== 200) throw await this.fail(response, repository, what)
    const bytes = await this.readBounded(response, this.maxManifestBytes, repository, `manifest ${reference}`)
    if (DIGEST.test(reference) && sha256(bytes) !== reference)
      throw this.mismatch(repository, `manifest ${reference}`)
    let json: unknown
    try {
      json = JSON.parse(bytes.toString('utf8'))
    } catch (error) {
      throw new BuildError('HP_ERR_REGISTRY_UNSUPPORTED', `${this.where(repository)}: ${what}: not JSON`, {
        cause: error,
      })
    }
    const declared = (json as { mediaType?: unknown })?.mediaType
    const mediaType =
      typeof declared === 'string'
        ? declared
        : (response.headers.get('content-type') ?? '').split(';')[0]?.trim()
    if (!mediaType || ![...IMAGE_MANIFESTS, ...INDEXES].includes(mediaType))
      throw new BuildError(
        'HP_ERR_REGISTRY_UNSUPPORTED',
        `${this.where(repository)}: ${reference} is a ${mediaType || 'manifest of unknown type'}; an OCI image manifest, a Docker schema 2 manifest or an index of them is needed`,
      )
    return { mediaType, bytes, json }
  }

  private imageManifest(
    repository: string,
    reference: string,
    { mediaType, bytes, json }: { mediaType: string; bytes: Buffer; json: unknown },
  ): ResolvedManifest {
    const manifest = json as Partial<ImageManifest>
    const valid = (d: Descriptor | undefined): d is Descriptor =>
      typeof d?.mediaType === 'string' && DIGEST.test(d.digest) && Number.isSafeInteger(d.size) && d.size >= 0
    if (
      manifest.schemaVersion !== 2 ||
      !valid(manifest.config) ||
      !Array.isArray(manifest.layers) ||
      !manifest.layers.every(valid)
    )
      throw new BuildError(
        'HP_ERR_REGISTRY_UNSUPPORTED',
        `${this.where(repository)}: manifest ${reference} is malformed (schemaVersion 2, a config and layer descriptors are needed)`,
      )
    return { digest: sha256(bytes), manifest: { ...(manifest as ImageManifest), mediaType }, bytes }
  }

  private async openBlobResponse(repository: string, digest: string, signal: AbortSignal): Promise<Response> {
    const what = `reading blob ${digest}`
    const response = await this.send({
      method: 'GET',
      url: this.url(`/v2/${repository}/blobs/${digest}`),
      repository,
      scopes: [pullScope(repository)],
      what,
      signal,
      timeoutMs: this.blobTimeoutMs,
    })
    if (response.status !== 200) throw await this.fail(response, repository, what)
    return response
  }

  private url(path: string): URL {
    return new URL(path, this.base)
  }

  private where(repository: string): string {
    return `registry ${this.registry}, repository ${repository}`
  }

  /** One request; a 401 challenge is answered once (token from the realm, or basic) and the request repeated. */
  private async send(request: Send): Promise<Response> {
    const first = await this.fetchOnce(request)
    const replayable = !(request.body instanceof ReadableStream)
    if (first.status !== 401 || this.credentials.kind === 'bearer' || !replayable) return first
    const challenge = parseChallenge(first.headers.get('www-authenticate') ?? '')
    if (challenge.scheme === 'bearer') {
      await first.body?.cancel()
      const wanted = new Set(request.scopes)
      if (challenge.params.scope) wanted.add(challenge.params.scope)
      await this.fetchToken(request, challenge.params, [...wanted].sort())
      return this.fetchOnce(request)
    }
    if (challenge.scheme === 'basic' && this.credentials.kind === 'basic' && !this.basicAsked) {
      await first.body?.cancel()
      this.basicAsked = true
      return this.fetchOnce(request)
    }
    return first
  }

  private async fetchOnce(request: Send): Promise<Response> {
    const headers: Record<string, string> = { ...request.headers }
    // Credentials go to the registry's own origin only, never to an upload URL elsewhere.
    if (request.url.origin === this.base.origin) {
      const authorization = this.authorization(request.scopes)
      if (authorization) headers.authorization = authorization
    }
    return this.fetchWithDeadline(request, request.url, {
      method: request.method,
      headers,
      body: request.body,
      redirect: 'follow',
      ...(request.body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit)
  }

  private authorization(scopes: readonly string[]): string | undefined {
    const { credentials } = this
    if (credentials.kind === 'bearer') return `Bearer ${credentials.token}`
    const token = this.tokens.get([...scopes].sort().join(' ')) ?? this.tokenCovering(scopes)
    if (token) return `Bearer ${token}`
    if (credentials.kind === 'basic' && this.basicAsked)
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
    return undefined
  }

  /** A cached token whose scope set includes every scope wanted (a push token serves a HEAD). */
  private tokenCovering(scopes: readonly string[]): string | undefined {
    for (const [key, token] of this.tokens) {
      const have = new Set(key.split(' '))
      if (scopes.every((scope) => have.has(scope) || have.has(scope.replace(/:pull$/, ':pull,push'))))
        return token
    }
    return undefined
  }

  private async fetchToken(
    request: Send,
    params: Record<string, string>,
    scopes: readonly string[],
  ): Promise<void> {
    const what = `getting a token for ${scopes.join(' ')}`
    let realm: URL
    try {
      realm = new URL(params.realm ?? '')
    } catch {
      throw this.failure(request.repository, what, 401, 'the registry named no valid token realm')
    }
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.base.protocol === 'http:'))
      throw this.failure(
        request.repository,
        what,
        401,
        `refusing to send credentials to ${realm.origin} without TLS`,
      )
    if (params.service) realm.searchParams.set('service', params.service)
    for (const scope of scopes) realm.searchParams.append('scope', scope)
    const { credentials } = this
    const headers: Record<string, string> =
      credentials.kind === 'basic'
        ? {
            authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
          }
        : {}
    const response = await this.fetchWithDeadline(request, realm, { headers, redirect: 'error' })
    if (response.status !== 200) throw await this.fail(response, request.repository, what)
    const body = await this.readBounded(response, TOKEN_BODY_BYTES, request.repository, 'token response')
    let token: unknown
    try {
      const json = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown }
      token = json.token ?? json.access_token
    } catch {
      token = undefined
    }
    if (typeof token !== 'string' || token.length === 0)
      throw this.failure(
        request.repository,
        what,
        response.status,
        'the token realm answered without a token',
      )
    this.tokens.set(scopes.join(' '), token)
  }

  private async fetchWithDeadline(request: Send, url: URL, init: RequestInit): Promise<Response> {
    const timeoutMs = request.timeoutMs ?? this.requestTimeoutMs
    try {
      return await fetch(url, {
        ...init,
        signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]),
      })
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason
      const timedOut = (error as Error).name === 'TimeoutError'
      throw new BuildError(
        'HP_ERR_REGISTRY_UNREACHABLE',
        `${this.where(request.repository)}: ${request.what}: ${
          timedOut
            ? `no answer within ${timeoutMs / 1000} s`
            : `${url.origin} unreachable (${(error as Error).message})`
        }; check the registry is up and reachable from hostplane`,
        { cause: error },
      )
    }
  }

  private readBounded(
    response: Response,
    maxBytes: number,
    repository: string,
    what: string,
  ): Promise<Buffer> {
    return readBoundedBody(response, maxBytes, () => this.tooLarge(repository, what, maxBytes))
  }

  private async fail(response: Response, repository: string, what: string): Promise<BuildError> {
    let detail = response.statusText
    try {
      const body = await this.readBounded(response, ERROR_BODY_BYTES, repository, 'error body')
      const errors = (JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] })
        .errors
      if (errors?.length) detail = errors.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ')
    } catch {
      // A body that is not the registry's error JSON adds nothing to the status.
    }
    return this.failure(repository, what, response.status, detail)
  }

  private failure(repository: string, what: string, status: number, detail: string): BuildError {
    const [code, advice] =
      status === 401 || status === 403
        ? ([
            'HP_ERR_REGISTRY_DENIED',
            'check the credentials: they may have expired or not grant this repository',
          ] as const)
        : status === 404
          ? (['HP_ERR_REGISTRY_NOT_FOUND', 'check the image reference'] as const)
          : (['HP_ERR_REGISTRY_FAILED', 'retry later; if it persists, read the registry’s log'] as const)
    return new BuildError(code, `${this.where(repository)}: ${what}: HTTP ${status} ${detail}; ${advice}`, {
      status,
    })
  }

  private tooLarge(repository: string, what: string, maxBytes: number): BuildError {
    return new BuildError(
      'HP_ERR_REGISTRY_TOO_LARGE',
      `${this.where(repository)}: ${what} is larger than the limit of ${maxBytes} bytes`,
    )
  }

  private mismatch(repository: string, what: string): BuildError {
    return new BuildError(
      'HP_ERR_REGISTRY_DIGEST_MISMATCH',
      `${this.where(repository)}: ${what}: the bytes received do not match the digest; the registry or a proxy altered them`,
    )
  }
}
