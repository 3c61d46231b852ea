/**
 * The SSH side of `hostplane gitserver` (ssh2). It only gathers inputs and acts on the pure
 * decisions (STYLE 13):
 * - authentication is public key only; a query without a signature is answered "acceptable" and
 *   binds nothing; the identity is bound only when the signature verifies against the very key
 *   it is sent with (ssh2 leaves that check to the application), and it is the owner of that
 *   key's fingerprint, never of a key offered earlier;
 * - a session may run one `exec` of git-receive-pack or git-upload-pack (command.ts) on a
 *   repository the identity owns (access.ts), checked again against the current keys when it
 *   runs; shell, pty, subsystems, X11, agent and every kind of forwarding are refused, and the
 *   only environment variable taken is GIT_PROTOCOL=version=1|2;
 * - git runs with an environment built from nothing, the hardened settings on its command line
 *   and, for a push, a one-time token for the pre-receive hook (hook-server.ts);
 * - connections are limited per source address before authentication, and timed out in the
 *   handshake, when idle, and after the longest session; when a key is removed or changes hands,
 *   the sessions it opened are closed.
 */
import { spawn } from 'node:child_process'
import { createServer, type Server, type Socket } from 'node:net'
import ssh2, { type AuthContext, type Connection, type ServerChannel, type Session } from 'ssh2'
import type { Logger } from '../ops/log.js'
import { decideAccess, type RepositoryEntry } from './access.js'
import { AddressLimiter, type AddressLimits } from './address-limiter.js'
import type { KeyOwner } from './claims.js'
import { type GitCommand, parseGitCommand } from './command.js'
import type { HookServer } from './hook-server.js'
import { fingerprintOf } from './keys.js'
import type { GitServerMetrics } from './metrics.js'
import type { PushVerdict } from './push-gate.js'
import { hardenedSettings, type OpenRepository, type Repositories } from './repositories.js'

/** The one user name clients log in as (`git@host`). */
export const GIT_USER = 'git'

export interface SshTimeouts {
  /** From TCP accept to a proved key. @default 20000 */
  readonly handshakeMs?: number
  /** No command running and no data either way. @default 300000 */
  readonly idleMs?: number
  /** The longest a connection may last, pushes waiting for builds included. @default 3600000 */
  readonly sessionMs?: number
}

export interface KeyDirectory {
  owner(fingerprint: string): KeyOwner | undefined
  repository(customer: string, webspace: string): RepositoryEntry | undefined
}

export interface GitSshServerOptions {
  readonly hostKey: string | Buffer
  readonly directory: KeyDirectory
  readonly repositories: Repositories
  readonly hooks: HookServer
  readonly hooksDir: string
  readonly log: Logger
  readonly metrics: GitServerMetrics
  readonly timeouts?: SshTimeouts
  readonly addressLimits?: AddressLimits
  /** Failed authentication attempts before the connection is closed. @default 6 */
  readonly maxAuthAttempts?: number
  readonly git: { readonly binary?: string; readonly home: string }
}

const GIT_PROTOCOL = /^version=[12]$/

/** One authenticated connection, for closing it when its key goes. */
interface LiveConnection {
  readonly identity: KeyOwner
  readonly client: Connection
  readonly log: Logger
  readonly stop: () => void
}

/** The identity a verified signature proves, or undefined. Exported for the unit tests of the rule. */
export function provenOwner(
  context: { key: { algo: string; data: Buffer }; signature?: Buffer; blob?: Buffer; hashAlgo?: string },
  owner: (fingerprint: string) => KeyOwner | undefined,
): KeyOwner | undefined {
  const { key, signature, blob, hashAlgo } = context
  if (!signature || !blob || key.data.length < 4) return undefined
  const type = key.data.subarray(4, 4 + key.data.readUInt32BE(0)).toString('latin1')
  const parsed = ssh2.utils.parseKey(`${type} ${key.data.toString('base64')}`)
  if (parsed instanceof Error) return undefined
  let verified = false
  try {
    verified = parsed.verify(blob, signature, hashAlgo) === true
  } catch {
    // A malformed signature is a failed proof, not a reason to stop the server.
  }
  return verified ? owner(fingerprintOf(key.data)) : undefined
}

export class GitSshServer {
  private readonly server: ssh2.Server
  private readonly limiter: AddressLimiter
  private readonly live = new Set<LiveConnection>()
  private readonly tcp: Server
  /** Connections not yet authenticated, by `address:port` (how ssh2 names them to the application). */
  private readonly handshaking = new Map<string, { socket: Socket; authenticated: () => void }>()

  constructor(private readonly options: GitSshServerOptions) {
    this.limiter = new AddressLimiter(options.addressLimits)
    this.server = new ssh2.Server({ hostKeys: [options.hostKey], ident: 'hostplane' }, (client, info) =>
      this.connection(client, info),
    )
    // ssh2 hands a connection to the application only once the client has sent its version line,
    // so a client that sends nothing would never meet a limit or a timeout: TCP is accepted here,
    // limited and timed, and only then given to ssh2.
    this.tcp = createServer((socket) => this.accept(socket))
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    await new Promise<void>((done, fail) => {
      this.tcp.once('error', fail)
      this.tcp.listen(port, host, () => done())
    })
    const address = this.tcp.address()
    return { host, port: typeof address === 'object' && address ? address.port : port }
  }

  async close(): Promise<void> {
    for (const connection of this.live) connection.stop()
    for (const { socket } of this.handshaking.values()) socket.destroy()
    await new Promise<void>((done) => this.tcp.close(() => done()))
  }

  get sessions(): number {
    return this.live.size
  }

  /** Closes every session whose key is no longer its identity's (removed, refused, re-claimed). */
  recheckSessions(): void {
    for (const connection of this.live) {
      const current = this.options.directory.owner(connection.identity.fingerprint)
      if (current?.customer === connection.identity.customer && current.key === connection.identity.key)
        continue
      connection.log.info('the key of this session was removed; closing it')
      // Out of the set at once: the next change before the socket has closed must not count it again.
      this.live.delete(connection)
      this.options.metrics.sessions.set(this.live.size)
      this.options.metrics.closed.inc({ reason: 'key_removed' })
      connection.stop()
    }
  }

  /** A new TCP connection: refused over the address's limit, destroyed if not authenticated in time. */
  private accept(socket: Socket): void {
    const { log, metrics, timeouts = {} } = this.options
    const address = socket.remoteAddress ?? ''
    if (!this.limiter.admit(address)) {
      metrics.connections.inc({ result: 'rate_limited' })
      log.warn({ address }, 'connection refused: too many from this address')
      socket.destroy()
      return
    }
    metrics.connections.inc({ result: 'accepted' })
    const key = `${address}:${socket.remotePort}`
    const timer = setTimeout(() => {
      log.info({ address, reason: 'handshake_timeout' }, 'closing the connection')
      metrics.closed.inc({ reason: 'handshake_timeout' })
      socket.destroy()
    }, timeouts.handshakeMs ?? 20_000)
    const authenticated = () => {
      clearTimeout(timer)
      if (this.handshaking.delete(key)) this.limiter.settled(address)
    }
    this.handshaking.set(key, { socket, authenticated })
    socket.once('close', authenticated)
    socket.on('error', () => {})
    this.server.injectSocket(socket)
  }

  private connection(client: Connection, info: { ip: string; port: number }): void {
    const { log: parentLog, metrics, timeouts = {}, maxAuthAttempts = 6 } = this.options
    const { idleMs = 300_000, sessionMs = 3_600_000 } = timeouts
    const address = info.ip
    const pending = this.handshaking.get(`${address}:${info.port}`)
    let log = parentLog.child({ address })
    let identity: KeyOwner | undefined
    let failures = 0
    let running = 0
    const children = new Set<() => void>()
    const close = (reason: string) => {
      log.info({ reason }, 'closing the connection')
      metrics.closed.inc({ reason })
      stop()
    }
    const sessionTimer = setTimeout(() => close('session_timeout'), sessionMs)
    let idleTimer: NodeJS.Timeout | undefined
    const touch = () => {
      clearTimeout(idleTimer)
      idleTimer = running > 0 ? undefined : setTimeout(() => close('idle_timeout'), idleMs)
    }
    const stop = () => {
      for (const kill of children) kill()
      client.end()
    }
    touch()

    client.on('authentication', (context: AuthContext) => {
      touch()
      if (context.method !== 'publickey' || context.username !== GIT_USER) {
        if (context.method !== 'none' && ++failures >= maxAuthAttempts) return close('too_many_attempts')
        return context.reject(['publickey'])
      }
      const fingerprint = fingerprintOf(context.key.data)
      if (!context.signature) {
        // A query binds nothing: it only tells the client whether signing with this key is worth it.
        return this.options.directory.owner(fingerprint) ? context.accept() : context.reject(['publickey'])
      }
      const owner = provenOwner(context, (fp) => this.options.directory.owner(fp))
      if (!owner) {
        metrics.authentications.inc({ result: 'refused' })
        log.info({ fingerprint }, 'authentication refused')
        if (++failures >= maxAuthAttempts) return close('too_many_attempts')
        return context.reject(['publickey'])
      }
      identity = owner
      metrics.authentications.inc({ result: 'accepted' })
      context.accept()
    })

    client.on('ready', () => {
      pending?.authenticated()
      if (!identity) return client.end()
      log = log.child({ customer: identity.customer, fingerprint: identity.fingerprint, key: identity.key })
      log.info('authenticated')
      const live: LiveConnection = { identity, client, log, stop }
      this.live.add(live)
      metrics.sessions.set(this.live.size)
      client.once('close', () => {
        this.live.delete(live)
        metrics.sessions.set(this.live.size)
      })
    })

    client.on('session', (accept) => {
      touch()
      const session = accept()
      this.session(session, identity, {
        log: () => log,
        touch,
        started: (kill) => {
          running++
          children.add(kill)
          touch()
          return () => {
            running--
            children.delete(kill)
            touch()
          }
        },
      })
    })
    client.on('tcpip', (_accept, reject) => this.refuse(log, 'tcpip', reject))
    client.on('openssh.streamlocal', (_accept, reject) => this.refuse(log, 'streamlocal', reject))
    client.on('request', (_accept, reject, name) => this.refuse(log, name, reject))
    client.on('error', (error) => log.debug({ err: error }, 'connection error'))
    client.on('close', () => {
      clearTimeout(sessionTimer)
      clearTimeout(idleTimer)
      for (const kill of children) kill()
    })
  }

  private refuse(log: Logger, what: string, reject: (() => void) | undefined, detail?: string): void {
    log.info({ request: what, detail }, 'request refused')
    this.options.metrics.refusedRequests.inc({ request: what })
    reject?.()
  }

  private session(
    session: Session,
    identity: KeyOwner | undefined,
    hooks: { log: () => Logger; touch: () => void; started: (kill: () => void) => () => void },
  ): void {
    const env: { GIT_PROTOCOL?: string } = {}
    let used = false
    for (const request of [
      'pty',
      'shell',
      'subsystem',
      'sftp',
      'x11',
      'auth-agent',
      'signal',
      'window-change',
    ] as const)
      session.on(request, (_accept: unknown, reject: (() => void) | undefined) =>
        this.refuse(hooks.log(), request, reject),
      )
    session.on('env', (accept, reject, { key, val }) => {
      if (key === 'GIT_PROTOCOL' && GIT_PROTOCOL.test(val) && !used) {
        env.GIT_PROTOCOL = val
        return accept?.()
      }
      this.refuse(hooks.log(), 'env', reject, key.slice(0, 64))
    })
    session.on('exec', (accept, reject, { command }) => {
      hooks.touch()
      if (used || !identity) return this.refuse(hooks.log(), 'second exec', reject)
      used = true
      const channel = accept()
      void this.exec(channel, identity, command, env, hooks)
    })
  }

  private async exec(
    channel: ServerChannel,
    identity: KeyOwner,
    line: string,
    env: { GIT_PROTOCOL?: string },
    hooks: { log: () => Logger; touch: () => void; started: (kill: () => void) => () => void },
  ): Promise<void> {
    const { directory, metrics } = this.options
    const log = hooks.log()
    const fail = (message: string, result: string) => {
      metrics.commands.inc({ service: 'none', result })
      channel.stderr.write(`hostplane: ${message}\n`)
      channel.exit(128)
      channel.end()
    }
    const parsed = parseGitCommand(line)
    if (!parsed.ok) {
      log.info({ command: line.slice(0, 200) }, 'command refused')
      return fail(parsed.message, 'refused')
    }
    const { command } = parsed
    const current = directory.owner(identity.fingerprint)
    const decision = decideAccess({
      bound: identity,
      current,
      command,
      repository: directory.repository(command.customer, command.webspace),
    })
    if (!decision.allowed) {
      log.info(
        {
          service: command.service,
          repository: `${command.customer}/${command.webspace}`,
          why: decision.message,
        },
        'command refused',
      )
      fail(decision.message, 'refused')
      if (current?.customer !== identity.customer || current.key !== identity.key) this.recheckSessions()
      return
    }
    const opened = await this.options.repositories.open(decision.repository).catch((error: unknown) => {
      log.error({ err: error, uid: decision.repository.uid }, 'could not prepare the repository')
    })
    if (!opened) return fail('the repository is not available right now; try again', 'failed')
    this.run(channel, identity, command, decision.repository, opened, env, hooks)
  }

  private run(
    channel: ServerChannel,
    identity: KeyOwner,
    command: GitCommand,
    repository: RepositoryEntry,
    { dir, release }: OpenRepository,
    clientEnv: { GIT_PROTOCOL?: string },
    hooks: { log: () => Logger; touch: () => void; started: (kill: () => void) => () => void },
  ): void {
    const { metrics, git } = this.options
    const log = hooks.log().child({
      service: command.service,
      repository: `${command.customer}/${command.webspace}`,
      uid: repository.uid,
    })
    const aborted = new AbortController()
    let verdict: PushVerdict | undefined
    const push = command.service === 'git-receive-pack'
    const ticket = push
      ? this.options.hooks.issue({
          repository,
          dir,
          pusher: identity,
          signal: aborted.signal,
          decided: (v) => (verdict = v),
        })
      : undefined
    const settings = hardenedSettings(repository, this.options.hooksDir).flatMap(([k, v]) => [
      '-c',
      `${k}=${v}`,
    ])
    const args = push ? [...settings, 'receive-pack', dir] : [...settings, 'upload-pack', '--strict', dir]
    // Built from nothing: no variable of the gitserver's own environment, and of the client's only GIT_PROTOCOL.
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: git.home,
      LANG: 'C',
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      ...(clientEnv.GIT_PROTOCOL ? { GIT_PROTOCOL: clientEnv.GIT_PROTOCOL } : {}),
      ...(ticket
        ? { HOSTPLANE_HOOK_SOCKET: this.options.hooks.socketPath, HOSTPLANE_HOOK_TOKEN: ticket.token }
        : {}),
    }
    const child = spawn(git.binary ?? 'git', args, {
      env,
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    })
    const kill = () => {
      aborted.abort()
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }
    const finished = hooks.started(kill)
    log.info('git started')
    channel.on('data', () => hooks.touch())
    channel.pipe(child.stdin)
    child.stdout.pipe(channel, { end: false })
    child.stderr.pipe(channel.stderr, { end: false })
    child.stdin.on('error', () => {})
    channel.on('close', () => {
      if (child.exitCode === null) kill()
    })
    child.on('error', (error) => log.error({ err: error }, 'git could not start'))
    child.on('close', (code) => {
      ticket?.revoke()
      finished()
      release()
      const exitCode = code ?? 128
      metrics.commands.inc({ service: command.service, result: exitCode === 0 ? 'ok' : 'failed' })
      if (push)
        metrics.pushes.inc({
          verdict: verdict === undefined ? 'none' : verdict.accepted ? 'accepted' : 'refused',
        })
      log.info({ exitCode, accepted: verdict?.accepted }, 'git finished')
      channel.exit(exitCode)
      channel.end()
    })
  }
}
