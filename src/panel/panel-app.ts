/**
 * The panel's HTTP app: the OpenAPI document at /api/openapi.json, the customer API under /api/v1
 * behind API-token sign-in and, with OpenID Connect configured, session sign-in (auth/sign-in.ts)
 * and the pages; one error shape for every refusal. Inbound `Impersonate-*` headers are deleted
 * as a request arrives, whatever their case: nothing downstream can see them, and the Kubernetes
 * requests carry only the headers of the Identity bound at sign-in.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type preHandlerAsyncHookHandler,
} from 'fastify'
import type { Counter } from 'prom-client'
import { HOSTPLANE_PACKAGE } from '../package-root.js'
import type { Logger } from '../ops/log.js'
import { adminRoutes } from './admin-routes.js'
import { apiRoutes } from './api-routes.js'
import type { Authenticator } from './auth/authenticator.js'
import { backupRoutes, type DownloadLimits } from './backup-routes.js'
import { buildRoutes, type BuildStreamLimits } from './build-routes.js'
import { RateLimitedError } from './auth/bearer.js'
import { readCookie, SESSION_COOKIE } from './auth/cookies.js'
import { SignInError } from './auth/errors.js'
import { refusalBody } from './auth/refusal-page.js'
import { registerSignIn, type SignIn, type SignInOptions } from './auth/sign-in.js'
import type { AdminService } from './admin-service.js'
import type { CustomerService, PanelService } from './customer-service.js'
import { errorBody, PanelError } from './errors.js'
import { type Identity, sessionIdentity } from './identity.js'
import { isImpersonationHeader } from './impersonation.js'
import { type DocumentedRoute, openApiDocument, type RouteSchema } from './openapi.js'
import { requestError } from './request-errors.js'
import { ErrorBody } from './schemas.js'

/** A signed-in browser session, as a page route sees it. */
export interface PanelSession {
  readonly identity: Identity
  /** The service acting as the session's customer; undefined for an admin acting as no customer. */
  readonly customer?: CustomerService
  /** The admin service, for a provider admin's session (acting as a customer or not). */
  readonly admin?: AdminService
  /** Send back in `X-CSRF-Token` or a `_csrf` form field with every state-changing request. */
  readonly csrfToken: string
}

/** What the pages (src/panel/ui) get from the app: sessions, never API tokens. */
export interface PanelPages {
  /** The request's session, or undefined when it is not signed in (no cookie, ended, expired). */
  session(request: FastifyRequest): Promise<PanelSession | undefined>
  /** preHandler for every state-changing page route: 403 without the session's CSRF token. */
  readonly requireCsrf: preHandlerAsyncHookHandler
  /** `GET` starts a sign-in; `?next=/path` comes back to that page. */
  readonly signInPath: string
  /** `POST` (with `_csrf`) signs out. */
  readonly signOutPath: string
  /** Keeps in the request's session the customer its admin acts as (undefined: none); false without a session. */
  actAs(request: FastifyRequest, customer: string | undefined): Promise<boolean>
}

export interface PanelAppOptions {
  readonly panel: PanelService
  readonly auth: Authenticator
  readonly log: Logger
  /** OpenID Connect sign-in: sessions for the pages and the API. Without it, API tokens only. */
  readonly signIn?: SignInOptions
  /** The pages, registered at the root when `signIn` is set (a browser needs a session). */
  readonly pages?: (app: FastifyInstance, pages: PanelPages) => Promise<void>
  /** Answers by route, method and status. */
  readonly requests?: Counter<'route' | 'method' | 'status'>
  /** Trust X-Forwarded-For from these proxies (the ingress) for the address failed sign-ins count against. */
  readonly trustProxy?: string | readonly string[]
  /** @default 262144 */
  readonly bodyLimit?: number
  readonly buildStreams?: BuildStreamLimits
  readonly downloads?: DownloadLimits
}

export const API_PREFIX = '/api/v1'

const BODY_REFUSALS = { 413: ErrorBody, 415: ErrorBody, 422: ErrorBody }
export const OPENAPI_PATH = '/api/openapi.json'

export async function panelApp(options: PanelAppOptions) {
  const { panel, auth, log, requests } = options
  const app = Fastify({
    // Typed as fastify's logger, so that plugins written for a plain FastifyInstance register here.
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    // Above any valid name or id, so a long one is judged by the route's schema (400) instead of
    // fastify's own 414, which no route documents; the request line stays bounded by Node's 16 KiB.
    routerOptions: { maxParamLength: 1024 },
    trustProxy: options.trustProxy ? [options.trustProxy].flat() : false,
    // The API server's strict field validation judges unknown fields, with its own messages.
    ajv: { customOptions: { removeAdditional: false, strictSchema: false } },
  })

  const routes: DocumentedRoute[] = []
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || !route.schema) return
    // Whatever a route says, a body is refused before it runs when it is too large (413), not
    // JSON (415) or not what its schema takes (422): documented once here, for every route with one.
    if (route.schema.body && route.schema.response)
      route.schema.response = { ...BODY_REFUSALS, ...(route.schema.response as object) }
    routes.push({ method: route.method, url: route.url, schema: route.schema as RouteSchema })
  })

  app.addHook('onRequest', async (request) => {
    for (const name of Object.keys(request.headers))
      if (isImpersonationHeader(name)) Reflect.deleteProperty(request.headers, name)
  })
  if (requests) {
    app.addHook('onResponse', async (request, reply) => {
      requests.inc({
        route: request.routeOptions.url ?? 'unknown',
        method: request.method,
        status: reply.statusCode,
      })
    })
  }

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof SignInError) return reply.code(error.status).send(refusalBody(error))
    const answer = error instanceof PanelError ? error : requestError(error)
    if (!answer) {
      request.log.error({ err: error }, 'panel request failed')
      const internal = new PanelError('HP_ERR_PANEL_INTERNAL')
      return reply.code(internal.status).send(errorBody(internal))
    }
    if (answer.code === 'HP_ERR_PANEL_UNAVAILABLE')
      request.log.warn({ err: answer.cause }, 'Kubernetes API unavailable')
    if (answer instanceof RateLimitedError) void reply.header('retry-after', String(answer.retryAfterSeconds))
    return reply.code(answer.status).send(errorBody(answer))
  })
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(errorBody(new PanelError('HP_ERR_PANEL_NOT_FOUND', 'no such endpoint'))),
  )

  let document: object | undefined
  app.get(OPENAPI_PATH, async () => {
    document ??= openApiDocument(
      routes,
      {
        title: 'hostplane panel API',
        version: HOSTPLANE_PACKAGE.version,
        description:
          'The customer API of hostplane’s control panel. Every request acts as the customer through Kubernetes impersonation (docs/panel.md).',
      },
      options.signIn ? { sessionCookie: SESSION_COOKIE } : {},
    )
    return document
  })

  const signIn =
    options.signIn &&
    registerSignIn(app, options.signIn, {
      signedIn: (identity) =>
        panel.audit.note(sessionIdentity(identity), { action: 'sign-in' }, { outcome: 'ok' }),
      signedOut: ({ identity, actingAs }) =>
        panel.audit.note(sessionIdentity(identity, actingAs), { action: 'sign-out' }, { outcome: 'ok' }),
    })
  const identify = async (request: FastifyRequest): Promise<Identity> => {
    // A request that offers a token is judged by its token alone, never by a cookie it also sends.
    if (signIn && request.headers.authorization === undefined) {
      const session = await sessionOf(signIn, request)
      if (session) return session.identity
      if (readCookie(request.headers.cookie, SESSION_COOKIE) !== undefined)
        throw new PanelError('HP_ERR_PANEL_UNAUTHENTICATED', 'the session has ended: sign in again')
    }
    return auth.authenticate(request)
  }
  const customerOf = (identity: Identity) =>
    identity.actingAs === undefined ? undefined : panel.forIdentity(identity)

  await app.register(
    async (api) => {
      api.decorateRequest('identity', null)
      api.decorateRequest('customer', null)
      api.addHook('onRequest', async (request) => {
        request.identity = await identify(request)
        request.customer = customerOf(request.identity) ?? null
      })
      if (signIn)
        api.addHook('preHandler', async (request) => {
          const refusal = await signIn.csrfError(request)
          if (refusal) throw refusal
        })
      await api.register(apiRoutes)
      if (signIn) await api.register(adminRoutes, { prefix: '/admin', panel, signIn })
      await api.register(buildRoutes, { limits: options.buildStreams })
      await api.register(backupRoutes, { limits: options.downloads })
    },
    { prefix: API_PREFIX },
  )

  if (signIn && options.pages)
    await options.pages(app, {
      session: async (request) => {
        const session = await sessionOf(signIn, request)
        if (!session) return undefined
        const customer = customerOf(session.identity)
        const admin = session.identity.actor.admin ? panel.forAdmin(session.identity) : undefined
        return { ...session, ...(customer ? { customer } : {}), ...(admin ? { admin } : {}) }
      },
      actAs: (request, customer) => signIn.actAs(request, customer),
      requireCsrf: signIn.requireCsrf,
      signInPath: signIn.signInPath,
      signOutPath: signIn.signOutPath,
    })
  return app
}

async function sessionOf(signIn: SignIn, request: FastifyRequest) {
  const record = await signIn.session(request)
  return (
    record && { identity: sessionIdentity(record.identity, record.actingAs), csrfToken: record.csrfToken }
  )
}
