/**
 * A small kubeconfig reader for long-running processes. client-node's KubeConfig works too, but
 * importing @kubernetes/client-node loads its whole generated API (about 68 MiB of resident memory
 * measured on Node 20), a large share of the operator's memory budget for something KubeRest
 * needs two methods of. Supported: client certificates, bearer tokens (inline or file, re-read so
 * rotated tokens apply), CA data or file, in-cluster ServiceAccount credentials. Exec and
 * auth-provider plugins are refused with a clear message.
 */
import { readFileSync } from 'node:fs'
import type { RequestOptions } from 'node:https'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'

/** What KubeRest needs from a kubeconfig; client-node's KubeConfig satisfies it as well. */
export interface KubeCredentials {
  getCurrentCluster(): { readonly server: string } | null
  applyToHTTPSOptions(options: RequestOptions): Promise<void>
}

interface Named<T> {
  name: string
  [key: string]: unknown
  value?: T
}
interface ClusterEntry {
  server?: string
  'certificate-authority'?: string
  'certificate-authority-data'?: string
  'insecure-skip-tls-verify'?: boolean
  'tls-server-name'?: string
}
interface UserEntry {
  token?: string
  tokenFile?: string
  'client-certificate'?: string
  'client-certificate-data'?: string
  'client-key'?: string
  'client-key-data'?: string
  exec?: unknown
  'auth-provider'?: unknown
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'
/** Projected ServiceAccount tokens rotate; re-reading once a minute is what client-go does. */
const TOKEN_REFRESH_MS = 60_000

const fromBase64 = (data: string) => Buffer.from(data, 'base64')

export class LightKubeConfig implements KubeCredentials {
  private token: { value: string; readAt: number } | undefined

  private constructor(
    private readonly server: string,
    private readonly tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>,
    private readonly auth: { readonly token?: string; readonly tokenFile?: string },
  ) {}

  /** $KUBECONFIG (its first file), else ~/.kube/config, else the pod's ServiceAccount. */
  static fromDefault(): LightKubeConfig {
    const file = process.env.KUBECONFIG?.split(':')[0]
    if (file) return LightKubeConfig.fromFile(file)
    try {
      return LightKubeConfig.fromFile(join(homedir(), '.kube', 'config'))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      return LightKubeConfig.inCluster()
    }
  }

  static inCluster(): LightKubeConfig {
    const host = process.env.KUBERNETES_SERVICE_HOST
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '443'
    if (!host)
      throw new Error(
        'no kubeconfig found and not in a cluster (KUBERNETES_SERVICE_HOST is unset); pass --kubeconfig',
      )
    return new LightKubeConfig(
      `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      { ca: readFileSync(join(SERVICE_ACCOUNT_DIR, 'ca.crt')) },
      { tokenFile: join(SERVICE_ACCOUNT_DIR, 'token') },
    )
  }

  static fromFile(path: string): LightKubeConfig {
    const config = parse(readFileSync(path, 'utf8')) as {
      'current-context'?: string
      contexts?: Named<never>[]
      clusters?: Named<never>[]
      users?: Named<never>[]
    }
    const entry = <T>(list: Named<never>[] | undefined, key: string, name: string | undefined): T => {
      const found = list?.find((item) => item.name === name)?.[key]
      if (!found) throw new Error(`${path}: no ${key} named ${name ?? '(none)'} for the current context`)
      return found as T
    }
    const context = entry<{ cluster?: string; user?: string }>(
      config.contexts,
      'context',
      config['current-context'],
    )
    const cluster = entry<ClusterEntry>(config.clusters, 'cluster', context.cluster)
    const user = context.user ? entry<UserEntry>(config.users, 'user', context.user) : {}
    if (user.exec || user['auth-provider'])
      throw new Error(
        `${path}: user ${context.user} uses an exec or auth-provider plugin; use a token or a client certificate`,
      )
    if (!cluster.server) throw new Error(`${path}: cluster ${context.cluster} has no server`)
    const read = (data: string | undefined, file: string | undefined) =>
      data ? fromBase64(data) : file ? readFileSync(file) : undefined
    return new LightKubeConfig(
      cluster.server,
      {
        ca: read(cluster['certificate-authority-data'], cluster['certificate-authority']),
        cert: read(user['client-certificate-data'], user['client-certificate']),
        key: read(user['client-key-data'], user['client-key']),
        rejectUnauthorized: !cluster['insecure-skip-tls-verify'],
        servername: cluster['tls-server-name'],
      },
      { token: user.token, tokenFile: user.tokenFile },
    )
  }

  getCurrentCluster(): { server: string } {
    return { server: this.server }
  }

  async applyToHTTPSOptions(options: RequestOptions): Promise<void> {
    Object.assign(options, this.tls)
    const token = this.bearerToken()
    if (token) options.headers = { ...options.headers, authorization: `Bearer ${token}` }
  }

  private bearerToken(): string | undefined {
    const { token, tokenFile } = this.auth
    if (token || !tokenFile) return token
    if (!this.token || Date.now() - this.token.readAt > TOKEN_REFRESH_MS)
      this.token = { value: readFileSync(tokenFile, 'utf8').trim(), readAt: Date.now() }
    return this.token.value
  }
}
