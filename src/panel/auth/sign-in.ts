/**
 * OpenID Connect sign-in for the panel: authorization code flow with PKCE (S256), `state` and
 * `nonce`, through openid-client (discovery, token exchange and ID token validation: signature by
 * the provider's JWKS, `iss`, `aud`, `exp`/`iat` with a small clock tolerance, `nonce`). The
 * validated claims become a SignInIdentity once (identity.ts), kept server-side in a session whose
 * id is the only thing the browser holds. Every provider request has a timeout and a size bound
 * (provider-fetch.ts); sign-in endpoints are rate-limited per client address.
 *
 * Routes under `prefix` (default `/auth`):
 *   GET  login?next=/path   redirect to the provider
 *   GET  callback           the provider's redirect back: session cookie, then redirect to `next`
 *   GET  session            `{ identity, csrfToken }` of the signed-in session, or 401
 *   POST logout             ends the session (CSRF-protected), then the provider's session if it
 *                           offers RP-initiated logout
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import * as oidc from 'openid-client'
import { clearCookie, readCookie, SESSION_COOKIE, setCookie, SIGNIN_COOKIE } from './cookies.js'
import { csrfRefusal } from './csrf.js'
import { SignInError } from './errors.js'
import { type ClaimMapping, identityFromClaims, type SignInIdentity } from './identity.js'
import { type ProviderFetch, providerFetch, type ProviderFetchLimits } from './provider-fetch.js'
import { SignInRateLimiter } from './rate-limit.js'
import { acceptForms } from '../ui/form-body.js'
import { sendPage } from '../ui/page.js'
import { signedOutPage } from '../ui/signed-out-page.js'
import { refusalBody, refusalPage } from './refusal-page.js'
import {
  type ExpiryLimits,
  MemorySessionStore,
  randomId,
  type SessionRecord,
  type SessionStore,
} from './session-store.js'

export interface SignInOptions {
  /** The provider's issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string
  readonly clientId: string
  /** Never logged. */
  readonly clientSecret: string
  /** The panel's public URL (origin, no path), e.g. `https://panel.example.com`. */
  readonly publicUrl: string
  readonly claims: ClaimMapping
  /** @default openid email profile */
  readonly scope?: string
  /** @default /auth */
  readonly prefix?: string
  /** Where a sign-in without `next` ends. @default / */
  readonly afterSignIn?: string
  /** @default a MemorySessionStore with `sessionLimits` */
  readonly sessions?: SessionStore
  /** @default idle 30 minutes, absolute 12 hours, 10000 sessions */
  readonly sessionLimits?: ExpiryLimits
  /** Sign-in attempts (login and callback) per client address per minute. @default 20 */
  readonly signInPerMinute?: number
  /** Seconds of clock difference tolerated in `exp`/`iat`/`nbf`. @default 30 */
  readonly clockToleranceSeconds?: number
  /** @default 10 s and 1 MiB per provider request */
  readonly providerLimits?: ProviderFetchLimits
  /** Transport for provider requests, below the limits. @default global fetch */
  readonly fetch?: ProviderFetch
  /** Allow an `http:` issuer (a provider on loopback in tests); never in production. @default false */
  readonly allowHttpIssuer?: boolean
  readonly clock?: () => number
}

/** What the panel records of sessions (its audit log). */
export interface SignInEvents {
  /** Before the session is made: a throw refuses the sign-in (HP_ERR_SIGNIN_AUDIT_UNAVAILABLE). */
  signedIn(identity: SignInIdentity): Promise<void>
  /** After the session ended; a throw is ignored, as a sign-out is never refused. */
  signedOut(record: SessionRecord): Promise<void>
}

/** What the panel core uses of a signed-in session. */
export interface SignIn {
  /** The identity of the request's session cookie, or undefined (no cookie, expired, signed out). */
  sessionIdentity(request: FastifyRequest): Promise<SignInIdentity | undefined>
  /** The session's CSRF token, for forms and the UI's requests. */
  csrfToken(request: FastifyRequest): Promise<string | undefined>
  /** The request's live session record (identity, CSRF token, acting-as), or undefined. */
  session(request: FastifyRequest): Promise<SessionRecord | undefined>
  /**
   * Stores in the request's session the customer its admin acts as (undefined: none); false when
   * the request has no live session. Kept server-side: no request header can choose it.
   */
  actAs(request: FastifyRequest, customer: string | undefined): Promise<boolean>
  /**
   * preHandler for state-changing routes: refuses (403 HP_ERR_SIGNIN_CSRF) a request that a live
   * session cookie authenticates when it comes from another origin or lacks the session's token
   * in `X-CSRF-Token` or a `_csrf` body field. Requests with `Authorization: Bearer`, and requests
   * without a live session, pass: the route's authentication decides about them, and must then
   * not fall back to the session.
   */
  readonly requireCsrf: preHandlerAsyncHookHandler
  /** requireCsrf's decision, for routes that answer it in their own error shape. */
  csrfError(request: FastifyRequest): Promise<SignInError | undefined>
  /** `GET` here starts a sign-in (`?next=/path` to come back to). */
  readonly signInPath: string
  /** `POST` here (with the CSRF token) signs out. */
  readonly signOutPath: string
}

interface Transaction {
  readonly state: string
  readonly nonce: string
  readonly verifier: string
  readonly next: string
}

const TRANSACTION_SECONDS = 600

/**
 * A path on the panel to return to after sign-in; anything else (another host by `//` or `/\`,
 * a scheme, whitespace, characters a Location header cannot carry) becomes `fallback`.
 */
export function safeNext(next: unknown, fallback: string): string {
  // A `/` not followed by another, then printable ASCII but the backslash (0x5c), which browsers read as `/`.
  return typeof next === 'string' && /^\/(?!\/)[\x21-\x5b\x5d-\x7e]*$/.test(next) ? next : fallback
}

/** The SignInError an openid-client failure of the callback is. */
function callbackError(error: unknown): SignInError {
  if (error instanceof SignInError) return error
  if (error instanceof oidc.ResponseBodyError)
    return new SignInError(
      error.status >= 500 ? 'HP_ERR_SIGNIN_PROVIDER_UNAVAILABLE' : 'HP_ERR_SIGNIN_PROVIDER_DENIED',
      `token endpoint: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`,
      { cause: error },
    )
  if (error instanceof oidc.AuthorizationResponseError)
    return new SignInError('HP_ERR_SIGNIN_PROVIDER_DENIED', `authorization: ${error.error}`, { cause: error })
  if (error instanceof oidc.ClientError && error.code !== 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    // openid-client's message is generic; the check that failed (which claim, the signature) is its cause's.
    const why = error.cause instanceof Error ? error.cause.message : error.message
    return new SignInError('HP_ERR_SIGNIN_TOKEN_INVALID', `${error.code ?? 'client'}: ${why}`, {
      cause: error,
    })
  }
  return new SignInError('HP_ERR_SIGNIN_PROVIDER_UNAVAILABLE', (error as Error).message, { cause: error })
}

/** Registers the sign-in routes on `app` and returns what the panel core needs of sessions. */
export function registerSignIn(app: FastifyInstance, options: SignInOptions, events?: SignInEvents): SignIn {
  const {
    prefix = '/auth',
    afterSignIn = '/',
    scope = 'openid email profile',
    clockToleranceSeconds = 30,
    clock = Date.now,
  } = options
  const publicOrigin = new URL(options.publicUrl).origin
  const redirectUri = `${publicOrigin}${prefix}/callback`
  const sessions = options.sessions ?? new MemorySessionStore<SessionRecord>(options.sessionLimits, clock)
  const transactions = new MemorySessionStore<Transaction>(
    { idleMs: TRANSACTION_SECONDS * 1000, absoluteMs: TRANSACTION_SECONDS * 1000 },
    clock,
  )
  const limiter = new SignInRateLimiter(options.signInPerMinute, clock)
  const transport = providerFetch(options.providerLimits, options.fetch)
  const signInPath = `${prefix}/login`

  let configuration: Promise<oidc.Configuration> | undefined
  // Discovered on first use and kept; a failed discovery is tried again by the next sign-in, so
  // the panel starts (and serves API tokens) while the provider is down.
  const provider = () => {
    configuration ??= oidc
      .discovery(
        new URL(options.issuer),
        options.clientId,
        { [oidc.clockTolerance]: clockToleranceSeconds },
        oidc.ClientSecretBasic(options.clientSecret),
        {
          [oidc.customFetch]: (url, init) => transport(url, init as RequestInit),
          // Without non-repudiation checks openid-client trusts the TLS channel for the ID token
          // and skips its signature; the panel verifies it against the provider's JWKS.
          execute: [
            oidc.enableNonRepudiationChecks,
            ...(options.allowHttpIssuer ? [oidc.allowInsecureRequests] : []),
          ],
        },
      )
      .catch((error: unknown) => {
        configuration = undefined
        throw new SignInError(
          'HP_ERR_SIGNIN_PROVIDER_UNAVAILABLE',
          `discovery: ${(error as Error).message}`,
          {
            cause: error,
          },
        )
      })
    return configuration
  }

  const refuse = (request: FastifyRequest, reply: FastifyReply, error: SignInError) => {
    request.log.warn({ code: error.code, detail: error.detail }, 'sign-in refused')
    reply.code(error.status).header('cache-control', 'no-store')
    if (request.headers.accept?.includes('application/json')) return reply.send(refusalBody(error))
    return reply.type('text/html; charset=utf-8').send(refusalPage(error, signInPath))
  }

  const limited = (request: FastifyRequest) =>
    limiter.admit(request.ip)
      ? undefined
      : new SignInError('HP_ERR_SIGNIN_RATE_LIMITED', `address ${request.ip}`)

  const records = new WeakMap<FastifyRequest, SessionRecord | undefined>()
  const sessionOf = async (request: FastifyRequest) => {
    if (records.has(request)) return records.get(request)
    const id = readCookie(request.headers.cookie, SESSION_COOKIE)
    const record = id === undefined ? undefined : await sessions.get(id)
    records.set(request, record)
    return record
  }

  app.get(`${prefix}/login`, async (request, reply) => {
    const tooMany = limited(request)
    if (tooMany) return refuse(request, reply, tooMany)
    let config: oidc.Configuration
    try {
      config = await provider()
    } catch (error) {
      return refuse(request, reply, callbackError(error))
    }
    const transaction: Transaction = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      next: safeNext((request.query as Record<string, unknown>).next, afterSignIn),
    }
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope,
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(transaction.verifier),
      code_challenge_method: 'S256',
    })
    const id = await transactions.create(transaction)
    return reply
      .header('cache-control', 'no-store')
      .header('set-cookie', setCookie(SIGNIN_COOKIE, id, TRANSACTION_SECONDS))
      .redirect(url.href, 303)
  })

  app.get(`${prefix}/callback`, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer')
    const tooMany = limited(request)
    if (tooMany) return refuse(request, reply, tooMany)
    const transactionId = readCookie(request.headers.cookie, SIGNIN_COOKIE)
    // Taken, not read: a transaction serves one callback, so a replayed callback finds nothing.
    const transaction = transactionId === undefined ? undefined : await transactions.take(transactionId)
    reply.header('set-cookie', clearCookie(SIGNIN_COOKIE))
    const query = new URL(request.url, publicOrigin).searchParams
    if (!transaction || query.get('state') !== transaction.state)
      return refuse(
        request,
        reply,
        new SignInError(
          'HP_ERR_SIGNIN_STATE',
          transaction ? 'state does not match' : 'no sign-in transaction',
        ),
      )
    try {
      const config = await provider()
      const callbackUrl = new URL(`${redirectUri}?${query.toString()}`)
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      })
      const claims = tokens.claims()
      if (!claims) throw new SignInError('HP_ERR_SIGNIN_TOKEN_INVALID', 'no ID token')
      // openid-client checks exp and nbf with the tolerance but takes any iat; one from the future is forged or from a broken clock.
      if (claims.iat > clock() / 1000 + clockToleranceSeconds)
        throw new SignInError(
          'HP_ERR_SIGNIN_TOKEN_INVALID',
          `ID token issued in the future (iat ${claims.iat})`,
        )
      const decision = identityFromClaims(claims, options.claims)
      if (decision.refusal !== undefined) throw new SignInError('HP_ERR_SIGNIN_NO_CUSTOMER', decision.refusal)
      const { identity } = decision
      await events?.signedIn(identity).catch((error: unknown) => {
        throw new SignInError('HP_ERR_SIGNIN_AUDIT_UNAVAILABLE', (error as Error).message, { cause: error })
      })
      // A new id at every sign-in: a session id planted before sign-in never becomes a session,
      // and a session this browser had before ends.
      const previous = readCookie(request.headers.cookie, SESSION_COOKIE)
      if (previous !== undefined) await sessions.delete(previous)
      const sessionId = await sessions.create({ identity, csrfToken: randomId(), idToken: tokens.id_token })
      request.log.info(
        { subject: identity.subject, customer: identity.customer, admin: identity.admin },
        'signed in',
      )
      const maxAge = (options.sessionLimits?.absoluteMs ?? 12 * 3_600_000) / 1000
      return reply
        .header('cache-control', 'no-store')
        .header('set-cookie', [clearCookie(SIGNIN_COOKIE), setCookie(SESSION_COOKIE, sessionId, maxAge)])
        .redirect(transaction.next, 303)
    } catch (error) {
      return refuse(request, reply, callbackError(error))
    }
  })

  app.get(`${prefix}/session`, async (request, reply) => {
    const record = await sessionOf(request)
    reply.header('cache-control', 'no-store')
    if (!record) return reply.code(401).send(refusalBody(new SignInError('HP_ERR_SIGNIN_NO_SESSION')))
    return { identity: record.identity, csrfToken: record.csrfToken }
  })

  const csrfError = async (request: FastifyRequest) => {
    const record = await sessionOf(request)
    const body = request.body as { _csrf?: unknown } | undefined
    const header = request.headers['x-csrf-token']
    const token =
      typeof header === 'string' ? header : typeof body?._csrf === 'string' ? body._csrf : undefined
    const refusal = csrfRefusal({
      method: request.method,
      bearer: /^bearer\s/i.test(request.headers.authorization ?? ''),
      origin: request.headers.origin,
      fetchSite: request.headers['sec-fetch-site'] as string | undefined,
      token,
      expected: record?.csrfToken,
      publicOrigin,
    })
    return refusal === undefined ? undefined : new SignInError('HP_ERR_SIGNIN_CSRF', refusal)
  }

  const requireCsrf: preHandlerAsyncHookHandler = async (request, reply) => {
    const refusal = await csrfError(request)
    if (refusal !== undefined) return refuse(request, reply, refusal)
  }

  // In a context of its own that reads forms: the pages sign out with a form (its `_csrf` field),
  // while the rest of the API takes JSON only.
  void app.register(async (forms) => {
    acceptForms(forms, 4096)
    forms.post(`${prefix}/logout`, { preHandler: requireCsrf }, async (request, reply) => {
      const id = readCookie(request.headers.cookie, SESSION_COOKIE)
      const record = await sessionOf(request)
      if (id !== undefined) await sessions.delete(id)
      // The audit log has logged and counted a failed write; the person is signed out regardless.
      if (record) await events?.signedOut(record).catch(() => {})
      reply.header('cache-control', 'no-store').header('set-cookie', clearCookie(SESSION_COOKIE))
      const config = await provider().catch(() => undefined)
      const providerSignOut = config?.serverMetadata().end_session_endpoint
        ? oidc.buildEndSessionUrl(config, {
            post_logout_redirect_uri: `${publicOrigin}/`,
            client_id: options.clientId,
            ...(record?.idToken ? { id_token_hint: record.idToken } : {}),
          }).href
        : undefined
      // The pages' form gets a page with a link on: its CSP holds form redirects to the panel.
      if (request.headers['content-type']?.startsWith('application/x-www-form-urlencoded'))
        return sendPage(reply, signedOutPage(signInPath, providerSignOut))
      return reply.redirect(providerSignOut ?? `${publicOrigin}/`, 303)
    })
  })

  const actAs = async (request: FastifyRequest, customer: string | undefined) => {
    const id = readCookie(request.headers.cookie, SESSION_COOKIE)
    const record = await sessionOf(request)
    if (id === undefined || !record) return false
    const { identity, csrfToken, idToken } = record
    const changed: SessionRecord = {
      identity,
      csrfToken,
      ...(idToken !== undefined ? { idToken } : {}),
      ...(customer !== undefined ? { actingAs: customer } : {}),
    }
    if (!(await sessions.replace(id, changed))) return false
    records.set(request, changed)
    return true
  }

  return {
    sessionIdentity: async (request) => (await sessionOf(request))?.identity,
    csrfToken: async (request) => (await sessionOf(request))?.csrfToken,
    session: sessionOf,
    actAs,
    requireCsrf,
    csrfError,
    signInPath,
    signOutPath: `${prefix}/logout`,
  }
}
