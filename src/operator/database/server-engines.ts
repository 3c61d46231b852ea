/**
 * One connection pool per DatabaseServer, opened with its admin Secret and kept while the
 * server's spec stays the same. The admin Secret is read (by a list of one name: the operator
 * reads no object one by one) only when a pool opens; `forget` closes a pool after a failure, so
 * the next attempt reads the Secret again and picks up a rotated password.
 */
import type { DatabaseServer } from '../../api/resources.js'
import type { DatabaseEngine, ServerEndpoint } from '../../database/engine.js'
import { connectEngine } from '../../database/engines.js'
import type { KubeList } from '../../kube/object.js'
import { type KubeRest, resourcePath } from '../../kube/rest.js'
import { serverPort } from './plan.js'

interface SecretData {
  readonly metadata: { readonly name: string }
  readonly data?: Readonly<Record<string, string>>
}

/** How long a dropped pool stays open for the statements still running on it. */
const RETIRE_AFTER_MS = 30_000

/** A server the operator cannot use, with what to fix: the message goes to the Databases' status. */
export class ServerUnavailableError extends Error {}

export class ServerEngines {
  private readonly retiring = new Set<Promise<DatabaseEngine>>()
  private readonly pools = new Map<
    string,
    { readonly generation: number; readonly engine: Promise<DatabaseEngine> }
  >()

  constructor(
    private readonly options: {
      readonly rest: Pick<KubeRest, 'request'>
      /** The only namespace the operator reads admin Secrets in. */
      readonly systemNamespace: string
      readonly connect?: (server: DatabaseServer, endpoint: ServerEndpoint) => DatabaseEngine
      /** Per connection and statement. */
      readonly timeoutMs?: number
    },
  ) {}

  /** The server's engine; rejects with ServerUnavailableError when its Secrets cannot be read. */
  engineOf(server: DatabaseServer): Promise<DatabaseEngine> {
    const name = server.metadata.name
    const generation = server.metadata.generation ?? 0
    const open = this.pools.get(name)
    if (open?.generation === generation) return open.engine
    if (open) void this.forget(name)
    const engine = this.open(server)
    this.pools.set(name, { generation, engine })
    engine.catch(() => {
      if (this.pools.get(name)?.engine === engine) this.pools.delete(name)
    })
    return engine
  }

  /**
   * Drops the server's pool: the next engineOf opens a new one with the Secret read again. The
   * old pool closes a little later, so statements another reconcile still runs on it finish.
   */
  async forget(name: string): Promise<void> {
    const open = this.pools.get(name)
    if (!open) return
    this.pools.delete(name)
    this.retiring.add(open.engine)
    const timer = setTimeout(() => void this.closeRetired(open.engine), RETIRE_AFTER_MS)
    timer.unref()
  }

  async close(): Promise<void> {
    const engines = [...[...this.pools.values()].map((p) => p.engine), ...this.retiring]
    this.pools.clear()
    await Promise.all(engines.map((engine) => this.closeRetired(engine)))
  }

  private async closeRetired(engine: Promise<DatabaseEngine>): Promise<void> {
    this.retiring.delete(engine)
    await engine.then((e) => e.close()).catch(() => {})
  }

  private async open(server: DatabaseServer): Promise<DatabaseEngine> {
    const { adminSecretRef, tls } = server.spec
    const admin = await this.secret(server, adminSecretRef, 'adminSecretRef')
    const username = admin.username
    const password = admin.password
    if (!username || !password)
      throw new ServerUnavailableError(
        `the admin Secret ${adminSecretRef.namespace}/${adminSecretRef.name} has no username and password`,
      )
    const mode = tls?.mode ?? 'verify'
    const ca =
      mode === 'verify' && tls?.caSecretRef
        ? (await this.secret(server, tls.caSecretRef, 'tls.caSecretRef'))['ca.crt']
        : undefined
    const endpoint: ServerEndpoint = {
      host: server.spec.host,
      port: serverPort(server),
      username,
      password,
      ...(mode === 'disable' ? {} : { tls: { verify: mode === 'verify', ...(ca ? { ca } : {}) } }),
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
    }
    return (this.options.connect ?? ((s, e) => connectEngine(s.spec.engine, e)))(server, endpoint)
  }

  private async secret(
    server: DatabaseServer,
    ref: { readonly namespace: string; readonly name: string },
    field: string,
  ): Promise<Record<string, string>> {
    const { systemNamespace } = this.options
    if (ref.namespace !== systemNamespace)
      throw new ServerUnavailableError(
        `DatabaseServer ${server.metadata.name}: ${field} must name a Secret in ${systemNamespace}, the only namespace the operator reads them in`,
      )
    const list = await this.options.rest.request<KubeList<SecretData>>(
      'GET',
      resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace: ref.namespace }),
      { query: { fieldSelector: `metadata.name=${ref.name}` } },
    )
    const secret = list.items[0]
    if (!secret)
      throw new ServerUnavailableError(
        `DatabaseServer ${server.metadata.name}: ${field} Secret ${ref.namespace}/${ref.name} does not exist`,
      )
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value, 'base64').toString('utf8'),
      ]),
    )
  }
}

/** What went wrong on the server, in words, without anything from the connection settings. */
export function unavailableMessage(server: DatabaseServer, error: unknown): string {
  if (error instanceof ServerUnavailableError) return error.message
  const detail = error instanceof Error ? error.message.split('\n')[0]?.slice(0, 200) : String(error)
  return `DatabaseServer ${server.metadata.name} (${server.spec.host}) failed: ${detail ?? 'unknown error'}`
}
