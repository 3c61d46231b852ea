/**
 * The provider admins' API under /api/v1/admin, served with OpenID Connect sign-in only (admins
 * are the provider's admin group; an API token never is one): acting as a customer, chosen in the
 * server-side session, and managing Customers as the admin's own impersonated user.
 */
import { type Static, Type } from '@sinclair/typebox'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { AdminService } from './admin-service.js'
import { AuditEntry } from './audit/entry.js'
import { AUDIT_EXPORT_FORMATS, EXPORT_MEDIA_TYPE, toCsv, toJsonLines } from './audit/export.js'
import { AuditFilters, AuditQuery } from './audit/query.js'
import { errors } from './api-routes.js'
import type { SignIn } from './auth/sign-in.js'
import type { PanelService } from './customer-service.js'
import { PanelError } from './errors.js'
import { SESSION_ONLY } from './openapi.js'
import { type Identity, sessionIdentity } from './identity.js'
import {
  ActAs,
  ActingView,
  CreateCustomer,
  CustomerParams,
  CustomerView,
  ListOf,
  UpdateCustomer,
} from './schemas.js'
import { actorView } from './views.js'

export interface AdminRoutesOptions {
  readonly panel: PanelService
  readonly signIn: SignIn
}

type CustomerName = { Params: Static<typeof CustomerParams> }

const AuditPageView = Type.Object(
  {
    items: Type.Array(AuditEntry),
    next: Type.Optional(Type.String({ description: 'Pass as `cursor` for the next, older page.' })),
  },
  { title: 'AuditPage' },
)

const AuditExportQuery = Type.Object({
  ...AuditFilters,
  format: Type.Unsafe<(typeof AUDIT_EXPORT_FORMATS)[number]>({
    type: 'string',
    enum: [...AUDIT_EXPORT_FORMATS],
    default: 'jsonl',
  }),
})

const actingView = ({ actor, actingAs }: Identity) => ({
  actor: actorView(actor),
  ...(actingAs !== undefined ? { actingAs } : {}),
})

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, { panel, signIn }) => {
  const admin = (request: FastifyRequest): AdminService => {
    if (!request.identity) throw new Error('an admin route ran without the sign-in hook')
    return panel.forAdmin(request.identity)
  }
  /** Stores the session's acting-as and answers the identity it makes. */
  const actAs = async (request: FastifyRequest, customer: string | undefined) => {
    const session = await signIn.session(request)
    if (!session || !(await signIn.actAs(request, customer)))
      throw new PanelError('HP_ERR_PANEL_UNAUTHENTICATED', 'acting as a customer needs a signed-in session')
    return actingView(sessionIdentity(session.identity, customer))
  }

  app.post<{ Body: Static<typeof ActAs> }>(
    '/act-as',
    {
      schema: {
        summary: 'Act as a customer: every request of this session then acts as it, until DELETE',
        tags: ['admin'],
        security: SESSION_ONLY,
        body: ActAs,
        response: { 200: ActingView, ...errors(404) },
      },
    },
    // The Customer is read as the admin: one that does not exist is a 404 here, not a session acting as nobody.
    (request) => admin(request).actAs(request.body.customer, () => actAs(request, request.body.customer)),
  )
  app.delete(
    '/act-as',
    {
      schema: {
        summary: 'Stop acting as a customer',
        tags: ['admin'],
        security: SESSION_ONLY,
        response: { 200: ActingView, ...errors() },
      },
    },
    (request) => admin(request).stopActing(() => actAs(request, undefined)),
  )

  app.get(
    '/customers',
    {
      schema: {
        summary: 'Every Customer, with its state in words',
        tags: ['admin'],
        security: SESSION_ONLY,
        response: { 200: ListOf(CustomerView), ...errors() },
      },
    },
    async (request) => ({ items: await admin(request).listCustomers() }),
  )
  app.get<CustomerName>(
    '/customers/:name',
    {
      schema: {
        summary: 'One Customer',
        tags: ['admin'],
        security: SESSION_ONLY,
        params: CustomerParams,
        response: { 200: CustomerView, ...errors(404) },
      },
    },
    (request) => admin(request).getCustomer(request.params.name),
  )
  app.post<{ Body: Static<typeof CreateCustomer> }>(
    '/customers',
    {
      schema: {
        summary: 'Create a Customer (the operator then makes its namespace)',
        tags: ['admin'],
        security: SESSION_ONLY,
        body: CreateCustomer,
        response: { 201: CustomerView, ...errors(409, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await admin(request).createCustomer(request.body.name, request.body.spec)),
  )
  app.patch<CustomerName & { Body: Static<typeof UpdateCustomer> }>(
    '/customers/:name',
    {
      schema: {
        summary: 'Change a Customer’s display name, email, tier, size, domains or suspension',
        tags: ['admin'],
        security: SESSION_ONLY,
        params: CustomerParams,
        body: UpdateCustomer,
        response: { 200: CustomerView, ...errors(404, 409, 422) },
      },
    },
    (request) => admin(request).updateCustomer(request.params.name, request.body),
  )

  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/audit',
    {
      schema: {
        summary: 'Search the audit log: every change made through the panel, newest first',
        tags: ['admin'],
        security: SESSION_ONLY,
        querystring: AuditQuery,
        response: { 200: AuditPageView, ...errors() },
      },
    },
    (request) => admin(request).auditLog(request.query),
  )
  app.get<{ Querystring: Static<typeof AuditExportQuery> }>(
    '/audit/export',
    {
      schema: {
        summary: 'Export the audit log entries the filters select, newest first, as JSON lines or CSV',
        tags: ['admin'],
        security: SESSION_ONLY,
        querystring: AuditExportQuery,
        produces: Object.values(EXPORT_MEDIA_TYPE),
        response: { 200: Type.String(), ...errors() },
      },
    },
    async (request, reply) => {
      const { format, ...filters } = request.query
      const entries = await admin(request).auditEntries(filters)
      return reply
        .type(`${EXPORT_MEDIA_TYPE[format]}; charset=utf-8`)
        .header('content-disposition', `attachment; filename="hostplane-audit.${format}"`)
        .header('cache-control', 'no-store')
        .send(format === 'csv' ? toCsv(entries) : toJsonLines(entries))
    },
  )
}
