/**
 * The OpenAPI 3.1 document of the panel's API, generated from the routes' own TypeBox schemas as
 * fastify registered them (its `onRoute` hook hands over each route's options), so the document
 * cannot describe a shape the server does not validate or answer with. Pure: routes in, document
 * out.
 */
import type { TSchema } from '@sinclair/typebox'

export interface RouteSchema {
  readonly summary?: string
  readonly description?: string
  readonly tags?: readonly string[]
  /** Routes that need no token (the document itself) say so with `security: []`. */
  readonly security?: readonly Record<string, readonly string[]>[]
  readonly params?: TSchema
  readonly querystring?: TSchema
  readonly body?: TSchema
  readonly response?: Readonly<Record<string | number, TSchema>>
  /** The content types of the 200 answer when it is not JSON (server-sent events, an export). */
  readonly produces?: string | readonly string[]
}

export interface DocumentedRoute {
  readonly method: string | readonly string[]
  readonly url: string
  readonly schema?: RouteSchema
}

/** The admin routes take a signed-in session only: an API token is never an admin. */
export const SESSION_ONLY: RouteSchema['security'] = [{ session: [] }]

export interface ApiInfo {
  readonly title: string
  readonly version: string
  readonly description?: string
}

type Json = Record<string, unknown>

/** The schema as plain JSON: TypeBox's symbol keys and functions dropped. */
const plain = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema)) as Json

const STATUS_TEXT: Readonly<Record<string, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'Deleted',
  400: 'The request is malformed',
  401: 'No valid API token',
  404: 'No such object (or not one of yours)',
  409: 'The object exists already, or changed since it was read',
  422: 'The object is not valid: each field the API server refused, with its message',
  429: 'Too many failed sign-in attempts from this address, or too many open streams',
  503: 'The Kubernetes API is unavailable',
}

function parameters(where: 'path' | 'query', schema: TSchema | undefined): Json[] {
  if (!schema) return []
  const { properties = {}, required = [] } = plain(schema) as {
    properties?: Record<string, Json>
    required?: string[]
  }
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.includes(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }))
}

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')

function operation(schema: RouteSchema, method: string, url: string): Json {
  const responses = Object.fromEntries(
    Object.entries(schema.response ?? {}).map(([status, body]) => [
      String(status),
      {
        description: STATUS_TEXT[status] ?? status,
        ...(String(status) === '204'
          ? {}
          : {
              content: Object.fromEntries(
                [String(status) === '200' && schema.produces ? schema.produces : 'application/json']
                  .flat()
                  .map((type) => [type, { schema: plain(body) }]),
              ),
            }),
      },
    ]),
  )
  return {
    operationId: `${method.toLowerCase()}${url.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    ...(schema.summary ? { summary: schema.summary } : {}),
    ...(schema.description ? { description: schema.description } : {}),
    ...(schema.tags ? { tags: [...schema.tags] } : {}),
    ...(schema.security ? { security: schema.security } : {}),
    parameters: [...parameters('path', schema.params), ...parameters('query', schema.querystring)],
    ...(schema.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: plain(schema.body) } } } }
      : {}),
    responses,
  }
}

/**
 * `sessionCookie`: the panel signs people in (OpenID Connect), so a request may prove itself with
 * the session's cookie as well as with an API token.
 */
export function openApiDocument(
  routes: readonly DocumentedRoute[],
  info: ApiInfo,
  { sessionCookie }: { readonly sessionCookie?: string } = {},
): Json {
  const paths: Record<string, Json> = {}
  for (const route of routes) {
    if (!route.schema) continue
    const methods = (typeof route.method === 'string' ? [route.method] : route.method).filter(
      (m) => m !== 'HEAD',
    )
    for (const method of methods) {
      const path = openApiPath(route.url)
      paths[path] = { ...paths[path], [method.toLowerCase()]: operation(route.schema, method, route.url) }
    }
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: {
        apiToken: { type: 'http', scheme: 'bearer', description: 'An API token (hpt_…).' },
        ...(sessionCookie
          ? {
              session: {
                type: 'apiKey',
                in: 'cookie',
                name: sessionCookie,
                description:
                  'A signed-in session. A change (POST, PUT, PATCH, DELETE) also sends the session’s CSRF token (GET /auth/session) in X-CSRF-Token, from the panel’s own origin.',
              },
            }
          : {}),
      },
    },
    security: sessionCookie ? [{ apiToken: [] }, { session: [] }] : [{ apiToken: [] }],
  }
}
