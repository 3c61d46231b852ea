/**
 * The gitserver's end of the pre-receive hook: a unix socket in a private directory. Each push
 * session gets a one-time token naming its repository and its pusher (the identity bound at
 * authentication); the hook presents it with the ref updates and the quarantine environment,
 * and gets the push gate's output lines and verdict back as JSON lines. Nothing the hook sends
 * decides who pushes where: a token is used once, and the paths it sends must lie inside the
 * token's repository.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { isAbsolute, relative, resolve } from 'node:path'
import type { Logger } from '../ops/log.js'
import type { RepositoryEntry } from './access.js'
import type { KeyOwner } from './claims.js'
import type { PushGate, PushVerdict, RefUpdate } from './push-gate.js'

/** What a push session's token stands for. */
export interface PushTicket {
  readonly repository: RepositoryEntry
  readonly dir: string
  readonly pusher: KeyOwner
  /** Aborted when the SSH session ends: the gate stops waiting for a client that left. */
  readonly signal: AbortSignal
  /** Records the verdict for the session's log line and metrics. */
  readonly decided: (verdict: PushVerdict) => void
}

interface HookMessage {
  readonly token?: unknown
  readonly dir?: unknown
  readonly updates?: unknown
  readonly env?: unknown
}

const MAX_MESSAGE = 1024 * 1024
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/
const QUARANTINE_ENV = ['GIT_OBJECT_DIRECTORY', 'GIT_QUARANTINE_PATH', 'GIT_ALTERNATE_OBJECT_DIRECTORIES']

const inside = (dir: string, path: string) => {
  const rel = relative(dir, resolve(path))
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** Control characters would let a gate's output (a build log) drive the client's terminal: each becomes `?`. */
export const printable = (line: string) =>
  [...line].map((c) => (isControl(c.codePointAt(0) ?? 0) ? '?' : c)).join('')

const isControl = (code: number) => (code < 0x20 && code !== 0x09) || (code >= 0x7f && code <= 0x9f)

function parseUpdates(value: unknown): RefUpdate[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 1000) return undefined
  const updates: RefUpdate[] = []
  for (const item of value as { ref?: unknown; oldCommit?: unknown; newCommit?: unknown }[]) {
    const { ref, oldCommit, newCommit } = item
    if (typeof ref !== 'string' || !ref.startsWith('refs/') || ref.length > 1024) return undefined
    if (typeof oldCommit !== 'string' || !SHA.test(oldCommit)) return undefined
    if (typeof newCommit !== 'string' || !SHA.test(newCommit)) return undefined
    updates.push({ ref, oldCommit, newCommit })
  }
  return updates
}

function quarantineEnv(value: unknown, dir: string): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const env: Record<string, string> = {}
  for (const name of QUARANTINE_ENV) {
    const path = (value as Record<string, unknown>)[name]
    if (path === undefined) continue
    if (typeof path !== 'string' || !path.split(':').every((p) => isAbsolute(p) && inside(dir, p)))
      return undefined
    env[name] = path
  }
  // A push that only deletes refs sends no objects, so git makes no quarantine for it.
  return { ...env, GIT_DIR: dir }
}

export class HookServer {
  private readonly tickets = new Map<string, PushTicket>()
  private server: Server | undefined

  constructor(
    private readonly options: {
      readonly socketPath: string
      readonly gate: PushGate
      readonly log: Logger
    },
  ) {}

  get socketPath(): string {
    return this.options.socketPath
  }

  async start(): Promise<void> {
    const { socketPath } = this.options
    await rm(socketPath, { force: true })
    await mkdir(resolve(socketPath, '..'), { recursive: true, mode: 0o700 })
    const server = createServer((socket) => this.serve(socket))
    await new Promise<void>((done, fail) => {
      server.once('error', fail)
      server.listen(socketPath, () => done())
    })
    await chmod(socketPath, 0o600)
    this.server = server
  }

  async stop(): Promise<void> {
    const server = this.server
    if (server) await new Promise<void>((done) => server.close(() => done()))
  }

  /** A token for one push session; revoke it when the session's git process ends. */
  issue(ticket: PushTicket): { token: string; revoke: () => void } {
    const token = randomBytes(32).toString('base64url')
    this.tickets.set(token, ticket)
    return { token, revoke: () => this.tickets.delete(token) }
  }

  private serve(socket: Socket): void {
    socket.setEncoding('utf8')
    let buffered = ''
    const onData = (chunk: string) => {
      buffered += chunk
      if (buffered.length > MAX_MESSAGE) return socket.destroy()
      const end = buffered.indexOf('\n')
      if (end < 0) return
      socket.off('data', onData)
      void this.answer(socket, buffered.slice(0, end))
    }
    socket.on('data', onData)
    socket.on('error', () => {})
  }

  private async answer(socket: Socket, text: string): Promise<void> {
    const send = (message: object) => socket.write(`${JSON.stringify(message)}\n`)
    const finish = (verdict: PushVerdict) => {
      if (verdict.message) send({ line: printable(verdict.message) })
      send({ accepted: verdict.accepted })
      socket.end()
    }
    let message: HookMessage
    try {
      message = JSON.parse(text) as HookMessage
    } catch {
      return finish({ accepted: false, message: 'push refused: the hook sent nothing readable' })
    }
    const ticket = typeof message.token === 'string' ? this.tickets.get(message.token) : undefined
    if (!ticket) return finish({ accepted: false, message: 'push refused: this push session is not known' })
    this.tickets.delete(message.token as string)
    const updates = parseUpdates(message.updates)
    const env = quarantineEnv(message.env, ticket.dir)
    if (!updates || !env || typeof message.dir !== 'string' || resolve(message.dir) !== ticket.dir) {
      const verdict = { accepted: false, message: 'push refused: the hook sent an unexpected request' }
      ticket.decided(verdict)
      return finish(verdict)
    }
    const { repository, pusher } = ticket
    let verdict: PushVerdict
    try {
      verdict = await this.options.gate.decide(
        {
          customer: repository.customer,
          namespace: repository.namespace,
          webspace: repository.webspace,
          pusher,
          updates,
          git: { dir: ticket.dir, env },
        },
        (line) => send({ line: printable(line) }),
        ticket.signal,
      )
    } catch (error) {
      this.options.log.error({ err: error, repository: repository.uid }, 'the push gate failed')
      verdict = { accepted: false, message: 'push refused: the push gate failed; try again' }
    }
    ticket.decided(verdict)
    finish(verdict)
  }
}
