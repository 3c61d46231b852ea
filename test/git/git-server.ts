/**
 * A real Git host for tests: `git http-backend` (CGI) behind a small Node HTTPS server on
 * loopback, serving the bare repositories of a directory. Repositories can be private (basic
 * auth), `/redirect/<path>` answers 302 to the same path on another host name, for the
 * redirect hardening tests, and `/hang/<path>` never answers, for the timeout tests. It counts, per repository, how many ref listings (`ls-remote`) and
 * fetches it answered, so tests can prove "fetch only on change".
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { createPki } from '../cluster/pki.js'

export interface Account {
  readonly username: string
  readonly password: string
}

export interface RepoCounts {
  refListings: number
  fetches: number
}

const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend'
const MAX_REQUEST_BYTES = 64 * 1024 * 1024

export class GitHttpServer {
  private readonly privateRepos = new Map<string, Account>()
  private readonly counts = new Map<string, RepoCounts>()
  private readonly v0Repos = new Set<string>()
  private readonly advertisements = new Map<string, number>()
  /** TLS connections accepted: kept-alive clients open few. */
  connections = 0
  /** Requests to a hanging URL received so far (each still unanswered). */
  hanging = 0

  private readonly server: Server

  private constructor(
    /** The address it listens on (loopback unless `start` was given another). */
    readonly address: string,
    tls: { cert: Buffer; key: Buffer },
    readonly projectRoot: string,
    /** PEM of the CA that signed the server certificate; pass it to the syncer as its git CA. */
    readonly caFile: string,
    private readonly tlsDir: string,
  ) {
    this.server = createServer(tls, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500)
        res.end(String(error))
      })
    })
    this.server.on('secureConnection', () => this.connections++)
  }

  /** `address`: where to listen, e.g. a pod address reachable from pods' networks (its certificate names it). */
  static async start(projectRoot: string, address = '127.0.0.1'): Promise<GitHttpServer> {
    const tlsDir = await mkdtemp(join(tmpdir(), 'hostplane-git-tls-'))
    const pki = await createPki(tlsDir, [address])
    const [cert, key] = await Promise.all([readFile(pki.serverCert), readFile(pki.serverKey)])
    const self = new GitHttpServer(address, { cert, key }, projectRoot, pki.caCert, tlsDir)
    await new Promise<void>((resolve) => self.server.listen(0, address, resolve))
    return self
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  /** https URL of a repository, by the host name given (on loopback, 127.0.0.1 and localhost reach this server). */
  url(repo: string, host = this.address): string {
    return `https://${host}:${this.port}/${repo}`
  }

  /** A URL that redirects to the same repository on `toHost`. */
  redirectUrl(repo: string, toHost: string): string {
    return `https://127.0.0.1:${this.port}/redirect/${toHost}/${repo}`
  }

  /** A URL whose host accepts the connection and then never answers. */
  hangingUrl(repo: string): string {
    return `https://127.0.0.1:${this.port}/hang/${repo}`
  }

  makePrivate(repo: string, account: Account): void {
    this.privateRepos.set(repo, account)
  }

  /** Answers this repository in protocol v0 only, as a host that ignores `Git-Protocol` does. */
  speakV0(repo: string): void {
    this.v0Repos.add(repo)
  }

  /** `GET info/refs` asked of `repo`, v0 and v2 alike. */
  advertisementsOf(repo: string): number {
    return this.advertisements.get(repo) ?? 0
  }

  countsOf(repo: string): RepoCounts {
    return { ...(this.counts.get(repo) ?? { refListings: 0, fetches: 0 }) }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
    await rm(this.tlsDir, { recursive: true, force: true })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://git.test')
    if (url.pathname.startsWith('/hang/')) {
      this.hanging++
      return
    }
    const redirect = /^\/redirect\/([^/]+)(\/.*)$/.exec(url.pathname)
    if (redirect) {
      res.writeHead(302, { location: `https://${redirect[1]}:${this.port}${redirect[2]}${url.search}` })
      res.end()
      return
    }
    const repo = /^\/(.+?\.git)\//.exec(url.pathname)?.[1]
    if (!repo) {
      res.writeHead(404).end()
      return
    }
    const account = this.privateRepos.get(repo)
    if (account && !authorized(req, account)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end()
      return
    }
    const body = await readBody(req)
    this.count(repo, url, req, body)
    await this.runBackend(req, res, url, body, this.v0Repos.has(repo))
  }

  private count(repo: string, url: URL, req: IncomingMessage, body: Buffer): void {
    const counts = this.counts.get(repo) ?? { refListings: 0, fetches: 0 }
    this.counts.set(repo, counts)
    // A listing is a v0 advertisement (every ref) or a v2 ls-refs; a v2 advertisement holds only
    // capabilities, and a client that knows them may send ls-refs without asking it first.
    const v2 = !this.v0Repos.has(repo) && String(req.headers['git-protocol'] ?? '').includes('version=2')
    if (req.method === 'GET' && url.pathname.endsWith('/info/refs')) {
      this.advertisements.set(repo, this.advertisementsOf(repo) + 1)
      if (!v2) counts.refListings++
    }
    if (req.method === 'POST' && url.pathname.endsWith('/git-upload-pack')) {
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('latin1')
      if (text.includes('command=ls-refs')) counts.refListings++
      if (text.includes('command=fetch') || /^[0-9a-f]{4}want /.test(text)) counts.fetches++
    }
  }

  private runBackend(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: Buffer,
    v0: boolean,
  ): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: this.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      REQUEST_METHOD: req.method,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: String(body.length),
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: v0 ? '' : String(req.headers['git-protocol'] ?? ''),
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
    }
    return new Promise((resolve, reject) => {
      const child = spawn(HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'inherit'] })
      const out: Buffer[] = []
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
      child.on('error', reject)
      child.stdin.on('error', () => {})
      child.on('close', () => {
        writeCgiResponse(res, Buffer.concat(out))
        resolve()
      })
      child.stdin.end(body)
    })
  }
}

function authorized(req: IncomingMessage, account: Account): boolean {
  const header = req.headers.authorization ?? ''
  const expected = `Basic ${Buffer.from(`${account.username}:${account.password}`).toString('base64')}`
  return header === expected
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_REQUEST_BYTES) throw new Error('request body too large for the test git server')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** A CGI answer is headers (with an optional `Status:`), a blank line, then the body. */
function writeCgiResponse(res: ServerResponse, output: Buffer): void {
  let split = output.indexOf('\r\n\r\n')
  let separator = 4
  if (split < 0) {
    split = output.indexOf('\n\n')
    separator = 2
  }
  const head = output.subarray(0, Math.max(split, 0)).toString('latin1')
  const headers: Record<string, string> = {}
  let status = 200
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'status') status = Number.parseInt(value, 10)
    else headers[name] = value
  }
  res.writeHead(status, headers)
  res.end(split < 0 ? output : output.subarray(split + separator))
}
