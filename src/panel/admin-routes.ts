/**
 * The provider admins' API under /api/v1/admin, served with OpenID Connect sign-in only (admins
 * are the provider's admin group; an API token never is one): acting as a customer, chosen in the
 * server-side session, and managing Customers as the admin's own impersonated user.
 */
import type { Static } from '@sinclair/typebox'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { AdminService } from './admin-service.js'
import { errors } from './api-routes.js'
import type { SignIn } from './auth/sign-in.js'
import type { PanelService } from './customer-service.js'
import { PanelError } from './errors.js'
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
        body: ActAs,
        response: { 200: ActingView, ...errors(404) },
      },
    },
    async (request) => {
      // The Customer is read as the admin: one that does not exist is a 404 here, not a session acting as nobody.
      await admin(request).getCustomer(request.body.customer)
      return actAs(request, request.body.customer)
    },
  )
  app.delete(
    '/act-as',
    {
      schema: {
        summary: 'Stop acting as a customer',
        tags: ['admin'],
        response: { 200: ActingView, ...errors() },
      },
    },
    async (request) => {
      admin(request)
      return actAs(request, undefined)
    },
  )

  app.get(
    '/customers',
    {
      schema: {
        summary: 'Every Customer, with its state in words',
        tags: ['admin'],
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
        params: CustomerParams,
        body: UpdateCustomer,
        response: { 200: CustomerView, ...errors(404, 409, 422) },
      },
    },
    (request) => admin(request).updateCustomer(request.params.name, request.body),
  )
}
