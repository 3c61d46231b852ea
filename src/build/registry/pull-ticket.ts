/**
 * Pull tickets: how nodes pull a customer's images. A ticket is basic credentials — username
 * `pull.<customer>`, password a JWT signed with a key pair of its own — that the token realm
 * exchanges for registry tokens granting pull on `hostplane/<customer>` and nothing else.
 *
 * Least privilege by key: the operator holds the private key and signs (it writes the tickets
 * into each tenant namespace's pull Secret); the realm (the gitserver) holds only the public key
 * or certificate and verifies. The grant is fixed by the username, never read from the ticket's
 * claims, so no ticket, however signed, asks for push or another customer's repository.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomUUID, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { type JwtAlgorithm, jwtAlgorithm, libtrustKeyId, signJwt, verifyJwt } from './jwt.js'
import { customerRepository, type RepositoryAccess } from './token-service.js'

/** The `iss` of every pull ticket. */
export const PULL_TICKET_ISSUER = 'hostplane-operator'
const USER_PREFIX = 'pull.'
/** 30 days. */
export const DEFAULT_PULL_TICKET_TTL_SECONDS = 30 * 24 * 3600

export const pullTicketUser = (customer: string) => `${USER_PREFIX}${customer}`
const audienceOf = (service: string) => `${service}#pull-ticket`

export interface PullTicket {
  readonly username: string
  readonly password: string
  readonly expiresAt: Date
}

interface PullTicketOptions {
  /** The registry's `auth.token.service`. */
  readonly service: string
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number
}

/** Checks pull tickets with the public half of the signing key. */
export class PullTicketVerifier {
  readonly keyId: string
  private readonly publicKey: KeyObject
  private readonly algorithm: JwtAlgorithm
  protected readonly audience: string
  protected readonly clock: () => number

  constructor(options: PullTicketOptions & { readonly publicKey: KeyObject }) {
    const { service, publicKey, clock = Date.now } = options
    this.publicKey = publicKey
    this.algorithm = jwtAlgorithm(publicKey, 'the registry pull key')
    this.keyId = libtrustKeyId(publicKey)
    this.audience = audienceOf(service)
    this.clock = clock
  }

  /** The valid, unexpired ticket of `customer` in `password`, or undefined. */
  ticketOf(customer: string, password: string): PullTicket | undefined {
    const username = pullTicketUser(customer)
    const claims = verifyJwt(password, {
      publicKey: this.publicKey,
      algorithm: this.algorithm,
      issuer: PULL_TICKET_ISSUER,
      audience: this.audience,
      now: this.clock() / 1000,
    })
    if (!claims || claims.sub !== username) return undefined
    return { username, password, expiresAt: new Date(claims.exp * 1000) }
  }

  /**
   * The realm's check (an Authenticate): pull on the customer's repository for a valid ticket of
   * `pull.<customer>`, undefined for anything else.
   */
  readonly authenticate = (username: string, password: string): readonly RepositoryAccess[] | undefined => {
    if (!username.startsWith(USER_PREFIX)) return undefined
    const customer = username.slice(USER_PREFIX.length)
    if (!this.ticketOf(customer, password)) return undefined
    try {
      return [{ repository: customerRepository(customer), actions: ['pull'] }]
    } catch {
      return undefined
    }
  }
}

/** Signs pull tickets (the operator). */
export class PullTicketSigner extends PullTicketVerifier {
  readonly ttlSeconds: number
  private readonly privateKey: KeyObject
  private readonly signingAlgorithm: JwtAlgorithm

  constructor(
    options: PullTicketOptions & {
      readonly privateKey: KeyObject
      /** @default 30 days */
      readonly ttlSeconds?: number
    },
  ) {
    const { privateKey, ttlSeconds = DEFAULT_PULL_TICKET_TTL_SECONDS } = options
    super({ ...options, publicKey: createPublicKey(privateKey) })
    this.privateKey = privateKey
    this.signingAlgorithm = jwtAlgorithm(privateKey, 'the registry pull key')
    this.ttlSeconds = ttlSeconds
  }

  /** A new ticket for `customer`, valid for ttlSeconds. */
  ticket(customer: string): PullTicket {
    customerRepository(customer)
    const username = pullTicketUser(customer)
    const now = Math.floor(this.clock() / 1000)
    const exp = now + this.ttlSeconds
    const password = signJwt(
      this.privateKey,
      { algorithm: this.signingAlgorithm, keyId: this.keyId },
      {
        iss: PULL_TICKET_ISSUER,
        sub: username,
        aud: this.audience,
        iat: now,
        nbf: now - 10,
        exp,
        jti: randomUUID(),
      },
    )
    return { username, password, expiresAt: new Date(exp * 1000) }
  }
}

/** Reads a PEM file once, with the path and the reason in the error a start-up shows. */
async function readPem(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new Error(
      `${flag} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    )
  }
}

/** The operator's signer, from a PEM private key (e.g. `tls.key` of a cert-manager Secret). */
export async function loadPullTicketSigner(
  options: PullTicketOptions & { readonly keyFile: string; readonly ttlSeconds?: number },
): Promise<PullTicketSigner> {
  const { keyFile, ...rest } = options
  const pem = await readPem(keyFile, '--registry-pull-key')
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(pem)
  } catch {
    throw new Error(`--registry-pull-key ${keyFile}: not a PEM private key`)
  }
  try {
    return new PullTicketSigner({ ...rest, privateKey })
  } catch (error) {
    throw new Error(`--registry-pull-key ${keyFile}: ${(error as Error).message}`)
  }
}

/**
 * The realm's verifier, from a PEM certificate (e.g. `tls.crt` of the cert-manager Secret whose
 * `tls.key` the operator signs with) or a PEM public key.
 */
export async function loadPullTicketVerifier(
  options: PullTicketOptions & { readonly certFile: string },
): Promise<PullTicketVerifier> {
  const { certFile, ...rest } = options
  const pem = await readPem(certFile, '--registry-pull-cert')
  if (pem.includes('PRIVATE KEY-----'))
    throw new Error(
      `--registry-pull-cert ${certFile}: holds a private key; give the realm only the certificate`,
    )
  let publicKey: KeyObject
  try {
    publicKey = pem.includes('-----BEGIN CERTIFICATE-----')
      ? new X509Certificate(pem).publicKey
      : createPublicKey({ key: pem, format: 'pem' })
  } catch {
    throw new Error(`--registry-pull-cert ${certFile}: not a PEM certificate or public key`)
  }
  try {
    return new PullTicketVerifier({ ...rest, publicKey })
  } catch (error) {
    throw new Error(`--registry-pull-cert ${certFile}: ${(error as Error).message}`)
  }
}
