/**
 * Short-lived registry credentials for tenants' images: a docker token-auth issuer (the JWTs
 * distribution's `auth.token` accepts: ES256 or RS256, `kid` = the libtrust ID of the key the
 * registry's `rootcertbundle` certificate holds, `iss`/`aud` = its issuer and service) whose
 * tokens grant at most pull and push on one customer's repository `hostplane/<customer>` (plus
 * pull on named base image repositories) for minutes.
 *
 * Two ways to hand a build its credential: `pushCredential` (a registry token used as is, for
 * hostplane's own client) and `buildTicket` (basic credentials — a signed ticket as password —
 * that the token endpoint exchanges for registry tokens, for tools that speak the token protocol
 * such as skopeo). Tickets carry their grant, so the endpoint keeps no state and any hostplane
 * process holding the key answers it.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RegistryCredentials } from './client.js'
import { type JwtAlgorithm, jwtAlgorithm, type JwtClaims, libtrustKeyId, signJwt, verifyJwt } from './jwt.js'
import { isRepository } from './reference.js'

export type RepositoryAction = 'pull' | 'push'

export interface RepositoryAccess {
  readonly repository: string
  readonly actions: readonly RepositoryAction[]
}

export interface TokenIssuerOptions {
  /** The registry's `auth.token.issuer`. */
  readonly issuer: string
  /** The registry's `auth.token.service` (the token's audience). */
  readonly service: string
  /** PEM or KeyObject: an EC P-256 key (ES256) or an RSA key (RS256). */
  readonly privateKey: string | KeyObject
  /** Lifetime of a token. @default 5 min */
  readonly ttlSeconds?: number
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number
}

/** Checks basic credentials at the token realm: their grant, or undefined to refuse them. */
export type Authenticate = (username: string, password: string) => readonly RepositoryAccess[] | undefined

/** The grant of the first check that accepts the credentials (build tickets, pull tickets). */
export const anyOf =
  (...checks: readonly Authenticate[]): Authenticate =>
  (username, password) => {
    for (const check of checks) {
      const grant = check(username, password)
      if (grant) return grant
    }
    return undefined
  }

export interface TokenAnswer {
  readonly status: number
  readonly body: object
  /** WWW-Authenticate of a 401. */
  readonly challenge?: string
}

export interface IssuedToken {
  readonly token: string
  readonly expiresAt: Date
}

/** The one repository a customer's images live in. */
export function customerRepository(customer: string): string {
  const repository = `hostplane/${customer}`
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(customer) || !isRepository(repository))
    throw new Error(`customer name ${JSON.stringify(customer)} cannot name a registry repository`)
  return repository
}

const ACTIONS: readonly RepositoryAction[] = ['pull', 'push']

/** The requested access a grant allows: per repository, the actions both name. */
export function grantedAccess(
  requested: readonly RepositoryAccess[],
  grant: readonly RepositoryAccess[],
): RepositoryAccess[] {
  const granted: RepositoryAccess[] = []
  for (const want of requested) {
    const allowed = new Set(grant.filter((g) => g.repository === want.repository).flatMap((g) => g.actions))
    const actions = ACTIONS.filter((action) => want.actions.includes(action) && allowed.has(action))
    if (actions.length > 0) granted.push({ repository: want.repository, actions })
  }
  return granted
}

/** `repository:<name>:<actions>` scopes of a token request; other resource types are ignored. */
export function parseScopes(scopes: readonly string[]): RepositoryAccess[] {
  const access: RepositoryAccess[] = []
  for (const scope of scopes.flatMap((s) => s.split(' '))) {
    const match = /^repository:([^:]+):([a-z,*]+)$/.exec(scope)
    if (!match || !isRepository(match[1] as string)) continue
    const actions = ACTIONS.filter((a) => (match[2] as string).split(',').includes(a))
    access.push({ repository: match[1] as string, actions })
  }
  return access
}

export class RegistryTokenIssuer {
  readonly issuer: string
  readonly service: string
  /** The `kid` of every token: the libtrust ID of the signing key's public half. */
  readonly keyId: string
  private readonly privateKey: KeyObject
  private readonly publicKey: KeyObject
  private readonly algorithm: JwtAlgorithm
  private readonly ttlSeconds: number
  private readonly clock: () => number

  constructor(options: TokenIssuerOptions) {
    const { issuer, service, privateKey, ttlSeconds = 300, clock = Date.now } = options
    this.privateKey = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey
    this.publicKey = createPublicKey(this.privateKey)
    this.algorithm = jwtAlgorithm(this.privateKey)
    this.issuer = issuer
    this.service = service
    this.keyId = libtrustKeyId(this.publicKey)
    this.ttlSeconds = ttlSeconds
    this.clock = clock
  }

  /** A registry token for `subject` granting exactly `access`. */
  issue(subject: string, access: readonly RepositoryAccess[], ttlSeconds = this.ttlSeconds): IssuedToken {
    return this.sign(subject, this.service, access, ttlSeconds)
  }

  /**
   * The credential of one build: pull and push on `hostplane/<customer>` and pull on the base
   * image repositories `pull` names (so their layers can be mounted instead of copied).
   */
  pushCredential(
    customer: string,
    options: { readonly pull?: readonly string[]; readonly ttlSeconds?: number } = {},
  ): RegistryCredentials & { readonly kind: 'bearer' } {
    const { token } = this.issue(`build.${customer}`, buildAccess(customer, options.pull), options.ttlSeconds)
    return { kind: 'bearer', token }
  }

  /**
   * Basic credentials for a build's tools: the token endpoint exchanges them for registry
   * tokens limited to the same access as `pushCredential`, until the ticket expires.
   */
  buildTicket(
    customer: string,
    options: { readonly pull?: readonly string[]; readonly ttlSeconds?: number } = {},
  ): RegistryCredentials & { readonly kind: 'basic' } {
    const username = `build.${customer}`
    const { token } = this.sign(
      username,
      this.ticketAudience(),
      buildAccess(customer, options.pull),
      options.ttlSeconds ?? this.ttlSeconds,
    )
    return { kind: 'basic', username, password: token }
  }

  /** The grant of a valid, unexpired ticket issued to `username`; undefined otherwise. */
  readonly verifyTicket: Authenticate = (username, password) => {
    const claims = verifyJwt(password, {
      publicKey: this.publicKey,
      algorithm: this.algorithm,
      issuer: this.issuer,
      audience: this.ticketAudience(),
      now: this.clock() / 1000,
    })
    if (!claims || claims.sub !== username) return undefined
    return parseAccessClaim(claims.access)
  }

  /**
   * The token realm's answer to `GET ?service=…&scope=…` with basic credentials `authenticate`
   * accepts: a token for the requested access the credentials grant (possibly none, which the
   * registry then refuses); 401 with a Basic challenge for missing or refused credentials.
   */
  answerTokenRequest(
    query: URLSearchParams,
    authorization: string | undefined,
    authenticate: Authenticate = this.verifyTicket,
  ): TokenAnswer {
    if (query.get('service') !== this.service) return { status: 400, body: { error: 'unknown service' } }
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization ?? '')
    const decoded = basic ? Buffer.from(basic[1] as string, 'base64').toString('utf8') : ''
    const colon = decoded.indexOf(':')
    const username = decoded.slice(0, colon)
    const grant = colon > 0 ? authenticate(username, decoded.slice(colon + 1)) : undefined
    if (!grant)
      return {
        status: 401,
        body: { error: 'credentials refused' },
        challenge: `Basic realm="${this.service}"`,
      }
    const { token, expiresAt } = this.issue(
      username,
      grantedAccess(parseScopes(query.getAll('scope')), grant),
    )
    const now = this.clock()
    return {
      status: 200,
      body: {
        token,
        access_token: token,
        expires_in: Math.round((expiresAt.getTime() - now) / 1000),
        issued_at: new Date(now).toISOString(),
      },
    }
  }

  /** answerTokenRequest as a node:http handler. */
  tokenHandler(authenticate?: Authenticate): (request: IncomingMessage, response: ServerResponse) => void {
    return (request, response) => {
      const answer: TokenAnswer =
        request.method === 'GET'
          ? this.answerTokenRequest(
              new URL(request.url ?? '/', 'http://token').searchParams,
              request.headers.authorization,
              authenticate,
            )
          : { status: 405, body: { error: 'only GET' } }
      response.writeHead(answer.status, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...(answer.challenge ? { 'www-authenticate': answer.challenge } : {}),
      })
      response.end(JSON.stringify(answer.body))
    }
  }

  private ticketAudience(): string {
    return `${this.service}#build-ticket`
  }

  private sign(
    subject: string,
    audience: string,
    access: readonly RepositoryAccess[],
    ttlSeconds: number,
  ): IssuedToken {
    const now = Math.floor(this.clock() / 1000)
    const claims: JwtClaims = {
      iss: this.issuer,
      sub: subject,
      aud: audience,
      iat: now,
      nbf: now - 10,
      exp: now + ttlSeconds,
      jti: randomUUID(),
      access: access.map((a) => ({ type: 'repository', name: a.repository, actions: [...a.actions] })),
    }
    return {
      token: signJwt(this.privateKey, { algorithm: this.algorithm, keyId: this.keyId }, claims),
      expiresAt: new Date((now + ttlSeconds) * 1000),
    }
  }
}

function buildAccess(customer: string, pull: readonly string[] = []): RepositoryAccess[] {
  return [
    { repository: customerRepository(customer), actions: ['pull', 'push'] },
    ...pull.map((repository) => ({ repository, actions: ['pull'] as const })),
  ]
}

function parseAccessClaim(claim: unknown): RepositoryAccess[] {
  if (!Array.isArray(claim)) return []
  return (claim as { type?: unknown; name?: unknown; actions?: unknown }[]).flatMap((entry) =>
    entry?.type === 'repository' && typeof entry.name === 'string' && Array.isArray(entry.actions)
      ? [{ repository: entry.name, actions: ACTIONS.filter((a) => (entry.actions as unknown[]).includes(a)) }]
      : [],
  )
}
