/**
 * The panel's HTTP app: the OpenAPI document at /api/openapi.json, the customer API under /api/v1
 * behind API-token sign-in, and one error shape for every refusal. Inbound `Impersonate-*`
 * headers are deleted as a request arrives, whatever their case: nothing downstream can see
 * them, and the Kubernetes requests carry only the headers of the Identity bound at sign-in.
 */
import Fastify, { type FastifyError } from 'fastify'
import type { Counter } from 'prom-client'
import { HOSTPLANE_PACKAGE } from '../package-root.js'
import type { Logger } from '../ops/log.js'
import { apiRoutes } from './api-routes.js'
import type { Authenticator } from './auth/authenticator.js'
import { buildRoutes, type BuildStreamLimits } from './build-routes.js'
import { RateLimitedError } from './auth/bearer.js'
import type { PanelService } from './customer-service.js'
import { errorBody, PanelError } from './errors.js'
import { isImpersonationHeader } from './impersonation.js'
import { type DocumentedRoute, openApiDocument, type RouteSchema } from './openapi.js'
import { requestError } from './request-errors.js'

export interface PanelAppOptions {
  readonly panel: PanelService
  readonly auth: Authenticator
  readonly log: Logger
  /** Answers by route, method and status. */
  readonly requests?: Counter<'route' | 'method' | 'status'>
  /** Trust X-Forwarded-For from these proxies (the ingress) for the address failed sign-ins count against. */
  readonly trustProxy?: string | readonly string[]
  /** @default 262144 */
  readonly bodyLimit?: number
  readonly buildStreams?: BuildStreamLimits
}

export const API_PREFIX = '/api/v1'
export const OPENAPI_PATH = '/api/openapi.json'

export async function panelApp(options: PanelAppOptions) {
  const { panel, auth, log, requests } = options
  const app = Fastify({
    loggerInstance: log,
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
    if (route.url.startsWith('/api/') && route.schema)
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
    document ??= openApiDocument(routes, {
      title: 'hostplane panel API',
      version: HOSTPLANE_PACKAGE.version,
      description:
        'The customer API of hostplane’s control panel. Every request acts as the customer through Kubernetes impersonation (docs/panel.md).',
    })
    return document
  })

  await app.register(
    async (api) => {
      api.decorateRequest('customer', null)
      api.addHook('onRequest', async (request) => {
        request.customer = panel.forIdentity(await auth.authenticate(request))
      })
      await api.register(apiRoutes)
      await api.register(buildRoutes, { limits: options.buildStreams })
    },
    { prefix: API_PREFIX },
  )
  return app
}
