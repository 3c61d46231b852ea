/**
 * The kubeconfig reader of every hostplane command. client-node's KubeConfig works too, but
 * importing @kubernetes/client-node loads its whole generated API (about 68 MiB of resident memory
 * measured on Node 20), a large share of a process's memory budget for something KubeRest needs
 * two methods of.
 *
 * Where it looks, first match wins (kubectl's order, then the pod's): `--kubeconfig`, the files
 * of `$KUBECONFIG` merged, `~/.kube/config`, the in-cluster ServiceAccount. Merging follows
 * kubectl: for each cluster, user and context name the first file that defines it wins, and so
 * does the first `current-context`; relative paths in a file are relative to that file.
 *
 * Credentials: client certificates, bearer tokens (inline or `tokenFile`, re-read so rotated
 * tokens apply), exec plugins (exec-credential.ts), CA data or file. auth-provider plugins (removed
 * from kubectl in 1.26) are refused with a message naming the user entry.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { RequestOptions } from 'node:https'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { parse } from 'yaml'
import { type ExecConfig, ExecCredential } from './exec-credential.js'

/** What KubeRest needs from a kubeconfig; client-node's KubeConfig satisfies it as well. */
export interface KubeCredentials {
  getCurrentCluster(): { readonly server: string } | null
  applyToHTTPSOptions(options: RequestOptions): Promise<void>
  /** The API server refused the credential: the next request gets a fresh one. */
  forgetCredential?(): void
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
  exec?: ExecConfig
  'auth-provider'?: { name?: string }
}
interface ContextEntry {
  cluster?: string
  user?: string
  namespace?: string
}
interface KubeconfigFile {
  'current-context'?: string
  contexts?: { name?: string; context?: ContextEntry }[] | null
  clusters?: { name?: string; cluster?: ClusterEntry }[] | null
  users?: { name?: string; user?: UserEntry }[] | null
}

/** An entry with the file it came from, which its relative paths are relative to. */
interface Sourced<T> {
  readonly value: T
  readonly file: string
}

/** The kubeconfig files merged by kubectl's rules. */
interface Merged {
  currentContext?: string
  readonly contexts: Map<string, Sourced<ContextEntry>>
  readonly clusters: Map<string, Sourced<ClusterEntry>>
  readonly users: Map<string, Sourced<UserEntry>>
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'
/** Projected ServiceAccount tokens rotate; re-reading once a minute is what client-go does. */
const TOKEN_REFRESH_MS = 60_000
/** Longest one run of an exec plugin may take. */
const EXEC_TIMEOUT_MS = 30_000

const fromBase64 = (data: string) => Buffer.from(data, 'base64')

export interface KubeconfigSources {
  /** `--kubeconfig`: this file alone, as kubectl does. */
  readonly file?: string
  readonly env?: NodeJS.ProcessEnv
  readonly home?: string
  /** Where the in-cluster ServiceAccount files are mounted. */
  readonly serviceAccountDir?: string
}

/**
 * Finds the kubeconfig (see the module comment) and gets a first credential from it, so a
 * kubeconfig that cannot give one (a failing exec plugin, a missing certificate file) stops the
 * start with one message instead of failing every request later.
 */
export async function loadKubeConfig(sources: KubeconfigSources = {}): Promise<LightKubeConfig> {
  const config = findKubeConfig(sources)
  await config.applyToHTTPSOptions({})
  return config
}

function findKubeConfig({
  file,
  env = process.env,
  home = homedir(),
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
}: KubeconfigSources): LightKubeConfig {
  if (file) return LightKubeConfig.fromFiles([file])
  if (env.KUBECONFIG) {
    const listed = env.KUBECONFIG.split(':').filter(Boolean)
    const present = listed.filter((f) => existsSync(f))
    if (present.length === 0) throw new Error(`$KUBECONFIG names no file that exists: ${listed.join(', ')}`)
    return LightKubeConfig.fromFiles(present)
  }
  const own = join(home, '.kube', 'config')
  if (existsSync(own)) return LightKubeConfig.fromFiles([own])
  if (env.KUBERNETES_SERVICE_HOST) return LightKubeConfig.inCluster(env, serviceAccountDir)
  throw new Error(
    'no kubeconfig: pass --kubeconfig, set $KUBECONFIG or create ~/.kube/config (or run in a pod)',
  )
}

function readKubeconfigFile(file: string): KubeconfigFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new Error(
      `kubeconfig ${file}: ${code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by this user' : (error as Error).message}`,
    )
  }
  try {
    const config: unknown = parse(text)
    if (config !== null && typeof config !== 'object') throw new Error('not a YAML mapping')
    return (config ?? {}) as KubeconfigFile
  } catch (error) {
    throw new Error(`kubeconfig ${file}: ${(error as Error).message.split('\n')[0]}`)
  }
}

/** kubectl's merge: the first file that names a context, cluster or user (or current-context) wins. */
function merge(files: readonly string[]): Merged {
  const merged: Merged = { contexts: new Map(), clusters: new Map(), users: new Map() }
  for (const file of files) {
    const config = readKubeconfigFile(file)
    merged.currentContext ??= config['current-context'] || undefined
    const add = <T>(
      into: Map<string, Sourced<T>>,
      items: { name?: string }[] | null | undefined,
      key: string,
    ) => {
      for (const item of items ?? []) {
        const value = (item as Record<string, unknown>)[key] as T | undefined
        if (item.name && value && !into.has(item.name)) into.set(item.name, { value, file })
      }
    }
    add(merged.contexts, config.contexts, 'context')
    add(merged.clusters, config.clusters, 'cluster')
    add(merged.users, config.users, 'user')
  }
  return merged
}

export class LightKubeConfig implements KubeCredentials {
  private token: { value: string; readAt: number } | undefined

  private constructor(
    /** The current context's namespace (in a pod: the ServiceAccount's); undefined when none is set. */
    readonly namespace: string | undefined,
    private readonly server: string,
    private readonly tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>,
    private readonly auth: {
      readonly token?: string
      readonly tokenFile?: string
      readonly exec?: ExecCredential
    },
  ) {}

  static inCluster(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): LightKubeConfig {
    const host = env.KUBERNETES_SERVICE_HOST
    const port = env.KUBERNETES_SERVICE_PORT ?? '443'
    if (!host) throw new Error('not in a cluster: KUBERNETES_SERVICE_HOST is unset')
    const ca = join(dir, 'ca.crt')
    const namespaceFile = join(dir, 'namespace')
    return new LightKubeConfig(
      existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() || undefined : undefined,
      `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      { ca: readCredentialFile(ca, 'the in-cluster CA') },
      { tokenFile: join(dir, 'token') },
    )
  }

  /** The current context of these files merged by kubectl's rules. */
  static fromFiles(files: readonly string[], execTimeoutMs = EXEC_TIMEOUT_MS): LightKubeConfig {
    const where = files.length === 1 ? `kubeconfig ${files[0]}` : `kubeconfig files ${files.join(', ')}`
    const merged = merge(files)
    const contextName = merged.currentContext
    if (!contextName) throw new Error(`${where}: no current-context`)
    const context = merged.contexts.get(contextName)?.value
    if (!context) throw new Error(`${where}: current-context ${contextName} names no context`)
    const clusterEntry = context.cluster ? merged.clusters.get(context.cluster) : undefined
    if (!clusterEntry) throw new Error(`${where}: context ${contextName} names no cluster that exists`)
    const cluster = clusterEntry.value
    if (!cluster.server) throw new Error(`${where}: cluster ${context.cluster} has no server`)
    const userEntry = context.user ? merged.users.get(context.user) : undefined
    if (context.user && !userEntry)
      throw new Error(`${where}: context ${contextName} names user ${context.user}, which does not exist`)
    const user = userEntry?.value ?? {}
    const userName = context.user ?? ''
    if (user['auth-provider'])
      throw new Error(
        `kubeconfig user ${userName}: the auth-provider ${user['auth-provider'].name ?? ''} is not supported (kubectl dropped it too); use its exec plugin, e.g. kubelogin`,
      )
    const fromCluster = (p: string) => relativeTo(clusterEntry.file, p)
    const fromUser = (p: string) => relativeTo(userEntry?.file ?? '', p)
    const read = (data: string | undefined, file: string | undefined, what: string) =>
      data ? fromBase64(data) : file ? readCredentialFile(file, what) : undefined
    const ca = read(
      cluster['certificate-authority-data'],
      cluster['certificate-authority'] && fromCluster(cluster['certificate-authority']),
      `the CA of cluster ${context.cluster}`,
    )
    const exec = user.exec
      ? new ExecCredential(
          userName,
          {
            ...user.exec,
            command: user.exec.command?.includes('/') ? fromUser(user.exec.command) : user.exec.command,
          },
          {
            server: cluster.server,
            'certificate-authority-data': ca?.toString('base64'),
            'insecure-skip-tls-verify': cluster['insecure-skip-tls-verify'],
            'tls-server-name': cluster['tls-server-name'],
          },
          execTimeoutMs,
        )
      : undefined
    return new LightKubeConfig(
      context.namespace || undefined,
      cluster.server,
      {
        ca,
        cert: read(
          user['client-certificate-data'],
          user['client-certificate'] && fromUser(user['client-certificate']),
          `the client certificate of user ${userName}`,
        ),
        key: read(
          user['client-key-data'],
          user['client-key'] && fromUser(user['client-key']),
          `the client key of user ${userName}`,
        ),
        rejectUnauthorized: !cluster['insecure-skip-tls-verify'],
        servername: cluster['tls-server-name'],
      },
      { token: user.token, tokenFile: user.tokenFile && fromUser(user.tokenFile), exec },
    )
  }

  getCurrentCluster(): { server: string } {
    return { server: this.server }
  }

  async applyToHTTPSOptions(options: RequestOptions): Promise<void> {
    Object.assign(options, this.tls)
    const fromPlugin = await this.auth.exec?.get()
    if (fromPlugin?.cert && fromPlugin.key)
      Object.assign(options, { cert: fromPlugin.cert, key: fromPlugin.key })
    const token = fromPlugin ? fromPlugin.token : this.bearerToken()
    if (token) options.headers = { ...options.headers, authorization: `Bearer ${token}` }
  }

  forgetCredential(): void {
    this.token = undefined
    this.auth.exec?.forget()
  }

  private bearerToken(): string | undefined {
    const { token, tokenFile } = this.auth
    if (token || !tokenFile) return token
    if (!this.token || Date.now() - this.token.readAt > TOKEN_REFRESH_MS)
      this.token = {
        value: readCredentialFile(tokenFile, 'the token file').toString('utf8').trim(),
        readAt: Date.now(),
      }
    return this.token.value
  }
}

/** kubectl resolves a relative path in a kubeconfig against the directory of the file it is in. */
const relativeTo = (kubeconfigFile: string, path: string) =>
  isAbsolute(path) || !kubeconfigFile ? path : resolve(dirname(kubeconfigFile), path)

function readCredentialFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new Error(`${what} ${file}: ${code === 'ENOENT' ? 'does not exist' : (error as Error).message}`)
  }
}
