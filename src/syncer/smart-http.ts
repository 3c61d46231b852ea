/**
 * Ref discovery over git's smart HTTP protocol, in process: what `git ls-remote <url> <refs>`
 * answers, without starting git. The request asks for protocol v2 (`Git-Protocol: version=2`);
 * a host that speaks it gets one `ls-refs` for just the wanted refs (not every ref of the
 * repository); a v0 host's advertisement of all refs is read instead. A host that speaks neither
 * (dumb HTTP, no `ls-refs`) is left to git: `list` answers undefined.
 *
 * The smart protocol over HTTP is stateless, so once a repository's v2 capabilities are known
 * the next checks send `ls-refs` alone: one request per check instead of two, half the CPU on
 * both sides. Any failure of that request forgets them and asks again from the start, so what a
 * check answers (and how it fails) is what the full exchange answers.
 */
import {
  type FailureContext,
  failureInText,
  remoteFailed,
  remoteFailure,
  remoteTimeout,
} from './git-failure.js'
import { DELIM, FLUSH, MalformedAnswer, type Packet, pktLine, readPackets } from './pkt-line.js'
import {
  AnswerTooLarge,
  basicAuthorization,
  DeadlineExceeded,
  type HttpAnswer,
  type HttpCall,
  type Remote,
  type RemoteAccess,
} from './remote-access.js'
import { SyncError } from './sync-error.js'

const OID = /^([0-9a-f]{40}|[0-9a-f]{64})$/
const ADVERTISEMENT = 'application/x-git-upload-pack-advertisement'
const RESULT = 'application/x-git-upload-pack-result'
/** Sent as git's own name, as forges decide by it whether a client speaks the smart protocol. */
const USER_AGENT = 'git/2.0 (hostplane)'

/** A host's `ERR` packet: it refused the request, in its own words. */
export class RemoteRefusal extends Error {
  override name = 'RemoteRefusal'
}

function packetsOf(body: Buffer): Packet[] {
  const { packets, error } = readPackets(body)
  if (error !== undefined) throw new RemoteRefusal(`remote error: ${error}`)
  return packets
}

/** The data lines up to the first flush (or the end). */
function section(packets: readonly Packet[]): string[] {
  const lines: string[] = []
  for (const packet of packets) {
    if (packet.kind !== 'data') break
    lines.push(packet.text)
  }
  return lines
}

const checkedOid = (oid: string | undefined, line: string): string => {
  if (!oid || !OID.test(oid))
    throw new MalformedAnswer(`${JSON.stringify(line.slice(0, 100))} names no object`)
  return oid
}

export type InfoRefs =
  | { readonly version: 2; readonly capabilities: readonly string[] }
  | { readonly version: 0; readonly refs: ReadonlyMap<string, string> }

/**
 * The answer to `GET info/refs?service=git-upload-pack`: v2 capabilities, or v0 refs (name →
 * object, an annotated tag's commit under `<tag>^{}`, as ls-remote prints them).
 */
export function parseInfoRefs(body: Buffer): InfoRefs {
  let packets = packetsOf(body)
  const first = packets[0]
  if (first?.kind === 'data' && first.text.startsWith('# service=')) {
    if (first.text !== '# service=git-upload-pack')
      throw new MalformedAnswer(`${first.text} is not upload-pack`)
    packets = packets.slice(packets[1]?.kind === 'flush' ? 2 : 1)
  }
  const lines = section(packets)
  if (lines[0] === 'version 2') return { version: 2, capabilities: lines.slice(1) }
  const refs = new Map<string, string>()
  for (const [i, line] of lines.entries()) {
    const [text = ''] = i === 0 ? line.split('\0') : [line]
    const space = text.indexOf(' ')
    const name = text.slice(space + 1)
    const oid = checkedOid(text.slice(0, space), line)
    // An empty repository advertises only its capabilities, on a placeholder ref.
    if (name !== 'capabilities^{}') refs.set(name, oid)
  }
  return { version: 0, refs }
}

/** The body of a v2 `ls-refs` for refs starting with these prefixes, with annotated tags peeled. */
export function lsRefsRequest(prefixes: readonly string[], capabilities: readonly string[]): string {
  const objectFormat = capabilities.find((c) => c.startsWith('object-format='))
  return [
    pktLine('command=ls-refs\n'),
    ...(objectFormat ? [pktLine(`${objectFormat}\n`)] : []),
    DELIM,
    pktLine('peel\n'),
    ...prefixes.map((prefix) => pktLine(`ref-prefix ${prefix}\n`)),
    FLUSH,
  ].join('')
}

/** A v2 `ls-refs` answer, in the form of `parseInfoRefs`' v0 refs. */
export function parseLsRefs(body: Buffer): Map<string, string> {
  const packets = packetsOf(body)
  // The flush ends the list: without it (a host that did not understand the command, an answer
  // cut short) no ref is missing for certain, so nothing is read as "no such ref".
  if (!packets.some((p) => p.kind === 'flush'))
    throw new MalformedAnswer('ls-refs answered without the flush packet that ends its list')
  const refs = new Map<string, string>()
  for (const line of section(packets)) {
    const [oid, name, ...attributes] = line.split(' ')
    if (!name) throw new MalformedAnswer(`${JSON.stringify(line.slice(0, 100))} names no ref`)
    if (oid === 'unborn') continue
    refs.set(name, checkedOid(oid, line))
    const peeled = attributes.find((a) => a.startsWith('peeled:'))
    if (peeled) refs.set(`${name}^{}`, checkedOid(peeled.slice('peeled:'.length), line))
  }
  return refs
}

/** Repositories whose capabilities are remembered; past it the oldest are forgotten. */
const REMEMBERED_REPOSITORIES = 100_000

export interface SmartHttpOptions {
  readonly timeoutMs: number
  /** Largest answer read (a v0 host advertises every ref). Default 16 MiB. */
  readonly maxBytes?: number
}

export class SmartHttpRefs {
  /** A v2 repository's advertised capabilities, by its URL: later checks skip `info/refs`. */
  private readonly capabilities = new Map<string, readonly string[]>()

  constructor(
    private readonly access: RemoteAccess,
    private readonly options: SmartHttpOptions,
  ) {}

  /**
   * The refs named `names` exactly (and `<tag>^{}` for annotated tags), as ls-remote lists them;
   * undefined when the host does not speak the smart protocol, so git has to ask. Failures are
   * the SyncErrors git's own would map to.
   */
  async list(remote: Remote, names: readonly string[]): Promise<Map<string, string> | undefined> {
    const context: FailureContext = {
      hasCredentials: remote.credentials !== undefined,
      repo: remote.repo.href,
    }
    try {
      const refs = await this.listOrThrow(remote, names, context)
      return refs && new Map([...refs].filter(([name]) => names.includes(name.replace(/\^\{\}$/, ''))))
    } catch (error) {
      throw syncErrorFromHttp(error, context)
    }
  }

  private async listOrThrow(remote: Remote, names: readonly string[], context: FailureContext) {
    const base = new URL(remote.repo.href).pathname.replace(/\/+$/, '')
    const deadline = Date.now() + this.options.timeoutMs
    const maxBytes = this.options.maxBytes ?? 16 * 1024 * 1024
    let authorization: string | undefined
    const call = async (request: Omit<HttpCall, 'deadline' | 'maxBytes' | 'authorization'>) => {
      const answer = await this.access.request(remote, { ...request, deadline, maxBytes, authorization })
      if (answer.status !== 401 || authorization || remote.credentials?.kind !== 'basic')
        return checkedStatus(answer, context)
      authorization = basicAuthorization(remote.credentials)
      return checkedStatus(
        await this.access.request(remote, { ...request, deadline, maxBytes, authorization }),
        context,
      )
    }
    const lsRefs = async (capabilities: readonly string[]) => {
      const listed = await call({
        method: 'POST',
        path: `${base}/git-upload-pack`,
        headers: {
          accept: RESULT,
          'content-type': 'application/x-git-upload-pack-request',
          'git-protocol': 'version=2',
          'user-agent': USER_AGENT,
        },
        body: lsRefsRequest(names, capabilities),
      })
      if (listed.contentType !== RESULT)
        throw new MalformedAnswer(`ls-refs answered ${listed.contentType || 'no content type'}`)
      return parseLsRefs(listed.body)
    }
    const key = remote.repo.href
    const known = this.capabilities.get(key)
    if (known) {
      const listed = await lsRefs(known).catch(() => undefined)
      if (listed) return listed
      this.capabilities.delete(key)
    }
    const info = await call({
      method: 'GET',
      path: `${base}/info/refs?service=git-upload-pack`,
      headers: { accept: '*/*', 'git-protocol': 'version=2', 'user-agent': USER_AGENT },
    })
    if (info.contentType !== ADVERTISEMENT) return undefined
    const refs = parseInfoRefs(info.body)
    if (refs.version === 0) return refs.refs
    if (!refs.capabilities.some((c) => c === 'ls-refs' || c.startsWith('ls-refs='))) return undefined
    const listed = await lsRefs(refs.capabilities)
    this.remember(key, refs.capabilities)
    return listed
  }

  private remember(key: string, capabilities: readonly string[]): void {
    this.capabilities.delete(key)
    this.capabilities.set(key, capabilities)
    if (this.capabilities.size > REMEMBERED_REPOSITORIES) {
      const oldest = this.capabilities.keys().next()
      if (!oldest.done) this.capabilities.delete(oldest.value)
    }
  }
}

/** Non-2xx answers as git reports them: 401/403 authentication, 3xx redirect, 404 not found. */
function checkedStatus(answer: HttpAnswer, context: FailureContext): HttpAnswer {
  const { status } = answer
  if (status >= 200 && status < 300) return answer
  if (status === 401 || status === 403) throw remoteFailure('auth', context)
  if (status >= 300 && status < 400) throw remoteFailure('redirect', context)
  if (status === 404) throw remoteFailure('repoNotFound', context)
  throw remoteFailed('ls-remote', `the host answered HTTP ${status}`)
}

const TLS_FAILURE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL/

/** What a failed in-process check means, in the words syncErrorFromGit uses for git's failures. */
export function syncErrorFromHttp(error: unknown, context: FailureContext): SyncError {
  if (error instanceof SyncError) return error
  if (error instanceof DeadlineExceeded) return remoteTimeout('ls-remote', context)
  if (error instanceof RemoteRefusal) {
    const kind = failureInText(error.message)
    return kind ? remoteFailure(kind, context, error) : remoteFailed('ls-remote', error.message, error)
  }
  if (error instanceof MalformedAnswer)
    return remoteFailed('ls-remote', `the host sent a malformed answer: ${error.message}`, error)
  if (error instanceof AnswerTooLarge) return remoteFailed('ls-remote', error.message, error)
  const { code = '', message } = error as NodeJS.ErrnoException
  if (TLS_FAILURE.test(code))
    return remoteFailed('ls-remote', `server certificate verification failed: ${message}`, error)
  return remoteFailed('ls-remote', `unable to access ${context.repo}: ${code || message}`, error)
}
