/**
 * Orders one certificate per domain from an ACME CA with HTTP-01, through `acme-client`. The
 * account key lives in the certificate store and is reused across restarts; the account is looked
 * up by that key (`onlyReturnExisting`) and created only when the CA has none, so no account URL is
 * kept (and a CA that forgot the account, such as a restarted test CA, gets a new one).
 *
 * acme-client sends every request through one module-wide axios instance: the CA bundle, the
 * request timeout and the retry policy are set on it here, once per process. Its own retries are
 * off: the certificate manager's per-domain backoff is the one retry policy, so a CA answering
 * 429 with a long Retry-After never holds an order open.
 */
import { readFile } from 'node:fs/promises'
import { Agent, type RequestOptions } from 'node:https'
import type { Duplex } from 'node:stream'
import { axios, Client, crypto } from 'acme-client'
import type { ChallengeResponder } from './challenge-responder.js'
import type { CertificateStore } from './certificate-store.js'

export interface AcmeIssuerOptions {
  /** The CA's ACME directory (`--acme-directory`, Let's Encrypt production by default). */
  readonly directoryUrl: string
  /** Contact address for the account (expiry notices); optional for Let's Encrypt. */
  readonly email?: string
  /** PEM CA bundle trusted for the directory instead of the system CAs (a test CA). */
  readonly caFile?: string
  /** Time for each request to the CA. @default 30000 */
  readonly requestTimeoutMs?: number
  /** Time for a whole order, from the new order to the certificate. @default 180000 */
  readonly orderTimeoutMs?: number
  /** Polling of a pending challenge or order: first and longest wait. @default 1000, 10000 */
  readonly pollMs?: { readonly min: number; readonly max: number }
}

export interface IssuedCertificate {
  readonly key: string
  readonly chain: string
}

interface AcmeSettings {
  retryMaxAttempts: number
}

/**
 * Remembers the last connection error (refused, unknown host, untrusted certificate): acme-client
 * 5.4 replaces every error that has no HTTP response with a TypeError about `config`, which would
 * leave the log without the reason.
 */
class CaAgent extends Agent {
  lastError: Error | undefined

  override createConnection(
    options: RequestOptions,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const socket = super.createConnection(options, callback)
    socket?.once('error', (error) => (this.lastError = error))
    return socket
  }
}

export class AcmeIssuer {
  private registered = false

  private constructor(
    private readonly client: Client,
    private readonly agent: CaAgent,
    private readonly options: AcmeIssuerOptions,
    private readonly responder: ChallengeResponder,
  ) {}

  static async create(
    options: AcmeIssuerOptions,
    store: CertificateStore,
    responder: ChallengeResponder,
  ): Promise<AcmeIssuer> {
    const { caFile, requestTimeoutMs = 30_000, pollMs = { min: 1000, max: 10_000 } } = options
    const ca = caFile ? await readFile(caFile, 'utf8') : undefined
    if (caFile && !ca?.includes('-----BEGIN CERTIFICATE-----'))
      throw new Error(`the ACME CA file ${caFile} holds no PEM certificate`)
    const agent = new CaAgent({ ca, keepAlive: true })
    axios.defaults.httpsAgent = agent
    axios.defaults.timeout = requestTimeoutMs
    const settings = (axios.defaults as { acmeSettings?: AcmeSettings }).acmeSettings
    if (settings) settings.retryMaxAttempts = 0
    const accountKey = await store.accountKey(async () => (await crypto.createPrivateEcdsaKey()).toString())
    const client = new Client({
      directoryUrl: options.directoryUrl,
      accountKey,
      backoffMin: pollMs.min,
      backoffMax: pollMs.max,
      backoffAttempts: 12,
    })
    return new AcmeIssuer(client, agent, options, responder)
  }

  /** A new key and certificate for `domain`, or an error with the CA's reason. */
  async issue(domain: string): Promise<IssuedCertificate> {
    const { orderTimeoutMs = 180_000 } = this.options
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no certificate within ${Math.round(orderTimeoutMs / 1000)} s`)),
        orderTimeoutMs,
      )
    })
    this.agent.lastError = undefined
    try {
      return await Promise.race([this.order(domain), timeout])
    } catch (error) {
      throw this.explained(error)
    } finally {
      clearTimeout(timer)
    }
  }

  private explained(error: unknown): unknown {
    if (!(error instanceof TypeError && error.message.includes("reading 'config'"))) return error
    const { directoryUrl, requestTimeoutMs = 30_000 } = this.options
    const cause = this.agent.lastError?.message ?? `no answer within ${Math.round(requestTimeoutMs / 1000)} s`
    return new Error(`the ACME CA ${directoryUrl} cannot be reached: ${cause}`)
  }

  /**
   * acme-client would register the account on every order, and for a key the CA already knows it
   * sends an account update that Pebble refuses as empty: look the account up first instead.
   */
  private async register(): Promise<void> {
    if (this.registered) return
    try {
      await this.client.createAccount({ onlyReturnExisting: true })
    } catch {
      const { email } = this.options
      await this.client.createAccount({
        termsOfServiceAgreed: true,
        ...(email ? { contact: [`mailto:${email}`] } : {}),
      })
    }
    this.registered = true
  }

  private async order(domain: string): Promise<IssuedCertificate> {
    await this.register()
    // ECDSA P-256: smaller and faster than acme-client's default RSA 2048, accepted by every CA.
    const key = await crypto.createPrivateEcdsaKey()
    const [, csr] = await crypto.createCsr({ commonName: domain, altNames: [domain] }, key)
    const tokens: string[] = []
    try {
      const chain = await this.client.auto({
        csr,
        challengePriority: ['http-01'],
        // acme-client would fetch the challenge from this machine first, by the domain's public
        // address; the CA's own validation is the one that counts.
        skipChallengeVerification: true,
        challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
          tokens.push(challenge.token)
          this.responder.add(domain, challenge.token, keyAuthorization)
        },
        challengeRemoveFn: async (_authz, challenge) => this.responder.remove(challenge.token),
      })
      return { key: key.toString(), chain }
    } finally {
      for (const token of tokens) this.responder.remove(token)
    }
  }
}
