/**
 * The customer's REST API under /api/v1: each route is its TypeBox schemas (schemas.ts) and one
 * call into the service layer for the request's Identity, bound by the sign-in hook of
 * panel-app.ts before any handler runs.
 */
import { type Static, Type } from '@sinclair/typebox'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { CustomerService } from './customer-service.js'
import { PanelError } from './errors.js'
import type { Identity } from './identity.js'
import {
  CreateSite,
  CreateSshKey,
  CreateToken,
  CreateWebspace,
  DomainsView,
  ErrorBody,
  ListOf,
  MeView,
  NameParams,
  NewTokenView,
  ReleaseQuery,
  ReleaseView,
  Rollback,
  SiteRollback,
  SiteView,
  SshKeyView,
  TokenParams,
  TokenView,
  UpdateSite,
  UpdateWebspace,
  UsageView,
  WebspaceView,
} from './schemas.js'

declare module 'fastify' {
  /** The OpenAPI fields a route documents itself with (openapi.ts reads them). */
  interface FastifySchema {
    summary?: string
    description?: string
    tags?: readonly string[]
    security?: readonly Record<string, readonly string[]>[]
    /** The content types of a 200 that is not JSON (openapi.ts). */
    produces?: string | readonly string[]
  }
  interface FastifyRequest {
    /** Who the caller is, bound by the sign-in hook before any handler. */
    identity: Identity | null
    /** The customer's service for the caller; null for an admin acting as no customer. */
    customer: CustomerService | null
  }
}

type Name = { Params: Static<typeof NameParams> }

export const service = (request: FastifyRequest): CustomerService => {
  if (!request.identity) throw new Error('a /api/v1 route ran without the sign-in hook')
  if (!request.customer) throw new PanelError('HP_ERR_PANEL_NOT_A_CUSTOMER')
  return request.customer
}

/** The error answers every signed-in route can give, plus its own. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries([400, 401, 403, 429, 503, ...statuses].map((status) => [status, ErrorBody]))

export const apiRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/me',
    {
      schema: {
        summary: 'The signed-in customer, and the Kubernetes identity its requests run as',
        tags: ['customer'],
        response: { 200: MeView, ...errors(404) },
      },
    },
    (request) => service(request).me(),
  )

  app.get(
    '/staticsites',
    {
      schema: {
        summary: 'Your StaticSites',
        tags: ['staticsites'],
        response: { 200: ListOf(SiteView), ...errors() },
      },
    },
    async (request) => ({ items: await service(request).listSites() }),
  )
  app.get<Name>(
    '/staticsites/:name',
    {
      schema: {
        summary: 'One StaticSite, with its status in words',
        tags: ['staticsites'],
        params: NameParams,
        response: { 200: SiteView, ...errors(404) },
      },
    },
    (request) => service(request).getSite(request.params.name),
  )
  app.post<{ Body: Static<typeof CreateSite> }>(
    '/staticsites',
    {
      schema: {
        summary: 'Create a StaticSite',
        tags: ['staticsites'],
        body: CreateSite,
        response: { 201: SiteView, ...errors(403, 409, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service(request).createSite(request.body.name, request.body.spec)),
  )
  app.put<Name & { Body: Static<typeof UpdateSite> }>(
    '/staticsites/:name',
    {
      schema: {
        summary: 'Replace a StaticSite’s spec',
        tags: ['staticsites'],
        params: NameParams,
        body: UpdateSite,
        response: { 200: SiteView, ...errors(403, 404, 409, 422) },
      },
    },
    (request) =>
      service(request).updateSite(request.params.name, request.body.spec, request.body.resourceVersion),
  )
  app.delete<Name>(
    '/staticsites/:name',
    {
      schema: {
        summary: 'Delete a StaticSite',
        tags: ['staticsites'],
        params: NameParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      await service(request).deleteSite(request.params.name)
      return reply.code(204).send()
    },
  )

  app.post<Name>(
    '/staticsites/:name/sync',
    {
      schema: {
        summary: 'Ask the syncer to sync a StaticSite now (as hostplane sync does)',
        description:
          'Sets the hostplane.dev/requested-sync annotation; the syncer writes the same value to status.lastHandledSyncRequest once it has synced.',
        tags: ['staticsites'],
        params: NameParams,
        response: { 200: SiteView, ...errors(404) },
      },
    },
    (request) => service(request).syncSite(request.params.name, new Date().toISOString()),
  )
  app.post<Name & { Body: Static<typeof SiteRollback> }>(
    '/staticsites/:name/rollback',
    {
      schema: {
        summary: 'Serve one of the StaticSite’s kept revisions again (its spec.ref becomes the commit)',
        tags: ['staticsites'],
        params: NameParams,
        body: SiteRollback,
        response: { 200: SiteView, ...errors(403, 404, 409, 422) },
      },
    },
    (request) => service(request).rollbackSite(request.params.name, request.body.commit),
  )

  app.get(
    '/domains',
    {
      schema: {
        summary:
          'The domain suffixes you may claim, and every domain your sites and webspaces use with its claim',
        tags: ['customer'],
        response: { 200: DomainsView, ...errors(404) },
      },
    },
    (request) => service(request).domains(),
  )
  app.get(
    '/usage',
    {
      schema: {
        summary: 'What you use of your namespace’s quota',
        tags: ['customer'],
        response: { 200: UsageView, ...errors(404) },
      },
    },
    (request) => service(request).usage(),
  )

  app.get(
    '/webspaces',
    {
      schema: {
        summary: 'Your Webspaces',
        tags: ['webspaces'],
        response: { 200: ListOf(WebspaceView), ...errors() },
      },
    },
    async (request) => ({ items: await service(request).listWebspaces() }),
  )
  app.get<Name>(
    '/webspaces/:name',
    {
      schema: {
        summary: 'One Webspace, with its status in words and its last build',
        tags: ['webspaces'],
        params: NameParams,
        response: { 200: WebspaceView, ...errors(404) },
      },
    },
    (request) => service(request).getWebspace(request.params.name),
  )
  app.post<{ Body: Static<typeof CreateWebspace> }>(
    '/webspaces',
    {
      schema: {
        summary: 'Create a Webspace',
        tags: ['webspaces'],
        body: CreateWebspace,
        response: { 201: WebspaceView, ...errors(403, 409, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service(request).createWebspace(request.body.name, request.body.spec)),
  )
  app.put<Name & { Body: Static<typeof UpdateWebspace> }>(
    '/webspaces/:name',
    {
      schema: {
        summary: 'Replace a Webspace’s spec',
        tags: ['webspaces'],
        params: NameParams,
        body: UpdateWebspace,
        response: { 200: WebspaceView, ...errors(403, 404, 409, 422) },
      },
    },
    (request) =>
      service(request).updateWebspace(request.params.name, request.body.spec, request.body.resourceVersion),
  )
  app.delete<Name>(
    '/webspaces/:name',
    {
      schema: {
        summary: 'Delete a Webspace',
        tags: ['webspaces'],
        params: NameParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      await service(request).deleteWebspace(request.params.name)
      return reply.code(204).send()
    },
  )
  app.post<Name & { Body: Static<typeof Rollback> }>(
    '/webspaces/:name/rollback',
    {
      schema: {
        summary: 'Run one of the webspace’s Releases (spec.release) instead of the newest',
        tags: ['releases'],
        params: NameParams,
        body: Rollback,
        response: { 200: WebspaceView, ...errors(403, 404, 409, 422) },
      },
    },
    (request) => service(request).rollback(request.params.name, request.body.release),
  )

  app.get<{ Querystring: Static<typeof ReleaseQuery> }>(
    '/releases',
    {
      schema: {
        summary: 'Your Releases, newest first; of one webspace with ?webspace=',
        tags: ['releases'],
        querystring: ReleaseQuery,
        response: { 200: ListOf(ReleaseView), ...errors(404) },
      },
    },
    async (request) => ({ items: await service(request).listReleases(request.query.webspace) }),
  )

  app.get(
    '/sshkeys',
    {
      schema: {
        summary: 'Your SSH push keys',
        tags: ['sshkeys'],
        response: { 200: ListOf(SshKeyView), ...errors() },
      },
    },
    async (request) => ({ items: await service(request).listSshKeys() }),
  )
  app.post<{ Body: Static<typeof CreateSshKey> }>(
    '/sshkeys',
    {
      schema: {
        summary: 'Add an SSH push key',
        tags: ['sshkeys'],
        body: CreateSshKey,
        response: { 201: SshKeyView, ...errors(403, 409, 422) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await service(request).createSshKey(request.body.name, request.body.publicKey, request.body.title),
        ),
  )
  app.delete<Name>(
    '/sshkeys/:name',
    {
      schema: {
        summary: 'Remove an SSH push key',
        tags: ['sshkeys'],
        params: NameParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      await service(request).deleteSshKey(request.params.name)
      return reply.code(204).send()
    },
  )

  app.get(
    '/tokens',
    {
      schema: {
        summary: 'Your API tokens (never the tokens themselves)',
        tags: ['tokens'],
        response: { 200: ListOf(TokenView), ...errors() },
      },
    },
    async (request) => ({ items: await service(request).listTokens() }),
  )
  app.post<{ Body: Static<typeof CreateToken> }>(
    '/tokens',
    {
      schema: {
        summary: 'Create an API token: the answer holds it, this once',
        tags: ['tokens'],
        body: CreateToken,
        response: { 201: NewTokenView, ...errors(422) },
      },
    },
    async (request, reply) => {
      const { token, record } = await service(request).createToken(request.body.description)
      return reply.code(201).send({ ...record, token })
    },
  )
  app.delete<{ Params: Static<typeof TokenParams> }>(
    '/tokens/:id',
    {
      schema: {
        summary: 'Revoke an API token',
        tags: ['tokens'],
        params: TokenParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      await service(request).revokeToken(request.params.id)
      return reply.code(204).send()
    },
  )
}
