/**
 * kubectl's exec credential plugins (client.authentication.k8s.io v1 and v1beta1): the command a
 * kubeconfig user names (aws eks get-token, gke-gcloud-auth-plugin, kubelogin, …) prints an
 * ExecCredential with a bearer token or a client certificate. Its answer is kept until its
 * `expirationTimestamp` (for the whole process when it has none), as client-go does; two requests
 * that need a fresh one share one run.
 */
import { spawn } from 'node:child_process'
import { dirname } from 'node:path'

const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1']

export interface ExecConfig {
  readonly command: string
  readonly args?: readonly string[] | null
  readonly env?: readonly { readonly name: string; readonly value: string }[] | null
  readonly apiVersion?: string
  readonly installHint?: string
  readonly provideClusterInfo?: boolean
  readonly interactiveMode?: string
}

/** What the plugin may learn of the cluster (`provideClusterInfo: true`), as in KUBERNETES_EXEC_INFO. */
export interface ExecClusterInfo {
  readonly server: string
  readonly 'certificate-authority-data'?: string
  readonly 'insecure-skip-tls-verify'?: boolean
  readonly 'tls-server-name'?: string
}

export interface ExecResult {
  readonly token?: string
  readonly cert?: string
  readonly key?: string
}

interface ExecCredentialOutput {
  apiVersion?: string
  kind?: string
  status?: {
    token?: string
    clientCertificateData?: string
    clientKeyData?: string
    expirationTimestamp?: string
  }
}

/** A credential is renewed this long before it expires, so a request never carries an expired one. */
const EXPIRY_MARGIN_MS = 10_000
const STDERR_LIMIT = 4096

export class ExecCredential {
  private cached: { result: ExecResult; expiresAt: number } | undefined
  private running: Promise<ExecResult> | undefined

  /**
   * `user` names the kubeconfig user entry in every error; `timeoutMs` bounds one run of the
   * plugin (a login helper that waits for a browser would otherwise hang the process's start).
   */
  constructor(
    private readonly user: string,
    private readonly exec: ExecConfig,
    private readonly cluster: ExecClusterInfo,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!exec.command) throw new Error(`kubeconfig user ${user}: exec has no command`)
    if (!EXEC_API_VERSIONS.includes(exec.apiVersion ?? ''))
      throw new Error(
        `kubeconfig user ${user}: exec apiVersion ${exec.apiVersion ?? '(none)'} is not supported; use ${EXEC_API_VERSIONS.join(' or ')}`,
      )
    if (exec.interactiveMode === 'Always')
      throw new Error(
        `kubeconfig user ${user}: the exec plugin ${exec.command} needs a terminal (interactiveMode: Always), which a server process does not have`,
      )
  }

  /** The current credential: the cached one while it is valid, else a fresh run of the plugin. */
  async get(): Promise<ExecResult> {
    if (this.cached && this.now() < this.cached.expiresAt - EXPIRY_MARGIN_MS) return this.cached.result
    this.running ??= this.run().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  /** Drops the cached credential, so the next get() runs the plugin again. */
  forget(): void {
    this.cached = undefined
  }

  private async run(): Promise<ExecResult> {
    const stdout = await this.spawnPlugin()
    let output: ExecCredentialOutput
    try {
      output = JSON.parse(stdout) as ExecCredentialOutput
    } catch {
      throw this.failure(`printed no JSON ExecCredential (${JSON.stringify(stdout.slice(0, 200))})`)
    }
    if (output.kind !== 'ExecCredential' || output.apiVersion !== this.exec.apiVersion)
      throw this.failure(
        `printed ${output.apiVersion ?? '?'} ${output.kind ?? '?'}, not the ${this.exec.apiVersion} ExecCredential it was asked for`,
      )
    const status = output.status ?? {}
    const result: ExecResult = {
      token: status.token || undefined,
      cert: status.clientCertificateData || undefined,
      key: status.clientKeyData || undefined,
    }
    if (!result.token && !(result.cert && result.key))
      throw this.failure('printed an ExecCredential with neither a token nor a client certificate and key')
    if (Boolean(result.cert) !== Boolean(result.key))
      throw this.failure('printed a client certificate without its key, or a key without its certificate')
    let expiresAt = Number.POSITIVE_INFINITY
    if (status.expirationTimestamp) {
      expiresAt = Date.parse(status.expirationTimestamp)
      if (Number.isNaN(expiresAt))
        throw this.failure(`printed an expirationTimestamp that is not a time: ${status.expirationTimestamp}`)
    }
    this.cached = { result, expiresAt }
    return result
  }

  private spawnPlugin(): Promise<string> {
    const { command, args, env, apiVersion } = this.exec
    const info = {
      apiVersion,
      kind: 'ExecCredential',
      spec: { interactive: false, ...(this.exec.provideClusterInfo ? { cluster: this.cluster } : {}) },
    }
    return new Promise((resolve, reject) => {
      const child = spawn(command, args ?? [], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ...Object.fromEntries((env ?? []).map(({ name, value }) => [name, value])),
          KUBERNETES_EXEC_INFO: JSON.stringify(info),
        },
        timeout: this.timeoutMs,
        killSignal: 'SIGKILL',
      })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_LIMIT)
      })
      child.once('error', (error: NodeJS.ErrnoException) => {
        const hint = this.exec.installHint ? ` (${this.exec.installHint.trim()})` : ''
        reject(
          this.failure(
            error.code === 'ENOENT'
              ? `was not found${command.includes('/') ? ` in ${dirname(command)}` : ' on the PATH'}${hint}`
              : error.message,
          ),
        )
      })
      child.once('close', (code, signal) => {
        const said = stderr.trim().split('\n').at(-1)
        if (signal === 'SIGKILL') reject(this.failure(`gave no answer within ${this.timeoutMs / 1000} s`))
        else if (code !== 0) reject(this.failure(`exited with ${code ?? signal}${said ? `: ${said}` : ''}`))
        else resolve(stdout)
      })
    })
  }

  private failure(what: string): Error {
    return new Error(`kubeconfig user ${this.user}: the exec plugin ${this.exec.command} ${what}`)
  }
}
