/**
 * How the syncer reaches a remote the host policy approved — one policy for both transports, the
 * git CLI (fetches, ssh) and the in-process ref check over smart HTTP (smart-http.ts):
 *
 * - the connection goes to the approved address only (git: `http.curloptResolve`; here: a lookup
 *   that answers that address), while TLS checks the certificate for the URL's host name;
 * - with `--git-ca-file` that file alone decides trust: git gets it as `http.sslCAInfo` and an
 *   empty private directory as `http.sslCAPath` (without it, curl still reads the system's
 *   /etc/ssl/certs), and the in-process check gets its contents as its only CAs; without it, git
 *   trusts the system bundle and the in-process check Node's bundled Mozilla CAs;
 * - no redirect is followed;
 * - credentials are sent only after the host asks for them (a 401), as git does.
 *
 * The in-process check keeps connections alive per host (at most `perHost` sockets, idle ones
 * closed after `idleMs`), which is what makes a check of an unchanged site cheap.
 */
import { readFile, mkdir } from 'node:fs/promises'
import { Agent, type AgentOptions, request, type RequestOptions } from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { type ConnectionOptions, createSecureContext, type SecureContext } from 'node:tls'
import type { GitCredentials } from './git-credentials.js'
import type { RepoUrl } from './repo-url.js'

/** One remote as the syncer may reach it: the URL, the approved address, the site's credentials. */
export interface Remote {
  readonly repo: RepoUrl
  readonly address: string
  readonly credentials?: GitCredentials
}

export interface RemoteAccessOptions {
  /** CA bundle for https git hosts instead of the system's, e.g. an internal forge's CA. */
  readonly caFile?: string
  /** A private directory this creates empty: git's CA directory when `caFile` is set. */
  readonly emptyCaDir: string
  /** Sockets kept per host (and address). Default 4, the default of `--git-per-host`. */
  readonly perHost?: number
  /** An unused kept-alive socket is closed after this long. Default 30 s. */
  readonly idleMs?: number
}

export interface HttpCall {
  readonly method: 'GET' | 'POST'
  /** Path and query on the host, already encoded. */
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  /** `Authorization` value, once the host asked for credentials. */
  readonly authorization?: string
  /** Epoch milliseconds by which the whole answer must have arrived. */
  readonly deadline: number
  /** Largest answer body read; a longer one fails the call. */
  readonly maxBytes: number
}

export interface HttpAnswer {
  readonly status: number
  readonly contentType: string
  readonly body: Buffer
}

/** The call ran past its deadline. */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded'
}

/** The answer was larger than the call allowed. */
export class AnswerTooLarge extends Error {
  override name = 'AnswerTooLarge'
}

/** The `Authorization` header git would send for basic credentials (never logged: it is the secret). */
export const basicAuthorization = (credentials: Extract<GitCredentials, { kind: 'basic' }>): string =>
  `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`

/** A lookup that answers only the address the host policy approved, whatever DNS says now. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address)
  return (_host, options, callback) => {
    const reply = callback as (
      error: null,
      address: string | { address: string; family: number }[],
      family?: number,
    ) => void
    if ((options as { all?: boolean }).all) reply(null, [{ address, family }])
    else reply(null, address, family)
  }
}

type PinnedOptions = AgentOptions & { readonly pinnedAddress?: string }

/** Pools sockets by the approved address too, so a kept socket is only reused for the address it reached. */
class PinnedAgent extends Agent {
  override getName(options?: PinnedOptions): string {
    return `${super.getName(options)}:${options?.pinnedAddress ?? ''}`
  }
}

export class RemoteAccess {
  private constructor(
    private readonly caFile: string | undefined,
    private readonly emptyCaDir: string,
    private readonly secureContext: SecureContext | undefined,
    private readonly agent: Agent,
  ) {}

  static async create(options: RemoteAccessOptions): Promise<RemoteAccess> {
    const { caFile, emptyCaDir, perHost = 4, idleMs = 30_000 } = options
    await mkdir(emptyCaDir, { recursive: true, mode: 0o700 })
    // One context for every connection: built once, not parsed again per handshake.
    const secureContext = caFile ? createSecureContext({ ca: await readFile(caFile) }) : undefined
    const agent = new PinnedAgent({
      keepAlive: true,
      maxSockets: perHost,
      maxFreeSockets: perHost,
      timeout: idleMs,
      scheduling: 'lifo',
    })
    return new RemoteAccess(caFile, emptyCaDir, secureContext, agent)
  }

  /** The `-c` options that make git reach an https remote under this policy. */
  gitConfig({ repo, address }: Remote): string[] {
    const config = ['http.followRedirects=false']
    if (repo.transport === 'https') {
      const pinned = address.includes(':') ? `[${address}]` : address
      config.push(`http.curloptResolve=${repo.host}:${repo.port}:${pinned}`)
      if (this.caFile) config.push(`http.sslCAInfo=${this.caFile}`, `http.sslCAPath=${this.emptyCaDir}`)
    }
    return config.flatMap((option) => ['-c', option])
  }

  /**
   * One HTTPS request to the remote's approved address. A 3xx is returned as it is (never
   * followed); a socket the host closed while it was kept is retried once on a new one.
   */
  async request(remote: Remote, call: HttpCall): Promise<HttpAnswer> {
    try {
      return await this.send(remote, call)
    } catch (error) {
      if (!(error instanceof StaleSocket)) throw error
      return this.send(remote, call)
    }
  }

  private send({ repo, address }: Remote, call: HttpCall): Promise<HttpAnswer> {
    const remaining = call.deadline - Date.now()
    if (remaining <= 0) return Promise.reject(new DeadlineExceeded())
    // secureContext reaches tls.connect through the agent, as every other TLS option does.
    const options: RequestOptions & Pick<ConnectionOptions, 'secureContext'> & { pinnedAddress: string } = {
      agent: this.agent,
      host: repo.host,
      port: repo.port,
      pinnedAddress: address,
      lookup: pinnedLookup(address),
      secureContext: this.secureContext,
      method: call.method,
      path: call.path,
      headers: { ...call.headers, ...(call.authorization ? { authorization: call.authorization } : {}) },
    }
    return new Promise((resolve, reject) => {
      const req = request(options, (res) => {
        const status = res.statusCode ?? 0
        const contentType = String(res.headers['content-type'] ?? '')
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > call.maxBytes)
            req.destroy(new AnswerTooLarge(`the host's answer is larger than ${call.maxBytes} bytes`))
          else chunks.push(chunk)
        })
        res.on('end', () => {
          clearTimeout(timer)
          resolve({ status, contentType, body: Buffer.concat(chunks) })
        })
        const fail = (error: Error) => {
          clearTimeout(timer)
          reject(error)
        }
        res.on('error', fail)
        res.on('close', () => {
          if (!res.complete) fail(new Error('the connection closed before the answer ended'))
        })
      })
      const timer = setTimeout(() => req.destroy(new DeadlineExceeded()), remaining)
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        const stale = req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')
        reject(stale ? new StaleSocket() : error)
      })
      req.end(call.body)
    })
  }
}

/** A kept-alive socket the host had closed: nothing was answered, so the request is sent again. */
class StaleSocket extends Error {}
