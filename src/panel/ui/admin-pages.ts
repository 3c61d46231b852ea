/**
 * The provider admins' pages under /admin, mounted beside the customer pages when OpenID Connect
 * sign-in is on: Customers (list, create, tier and size, suspension), acting as a customer, and
 * the audit log. Every route gathers its data and makes its change through the session's
 * AdminService — the one the admin API uses, as the admin's impersonated user, recording in the
 * audit log — so the pages can do nothing the API refuses. Anyone but an admin gets a 403 page.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AdminService } from '../admin-service.js'
import { PanelError } from '../errors.js'
import { isCustomerName } from '../impersonation.js'
import type { PanelPages } from '../panel-app.js'
import { requestError } from '../request-errors.js'
import { CustomerParams, type UpdateCustomer } from '../schemas.js'
import { ACT_AS_PATH, adminPage, STOP_ACTING_PATH } from './admin-frame.js'
import { auditPage, auditSearchOf } from './audit-page.js'
import {
  CUSTOMER_CHANGE_FIELDS,
  CUSTOMER_FIELDS,
  customerPage,
  customerSpec,
  customersPage,
  newCustomerPage,
} from './customer-pages.js'
import { acceptForms } from './form-body.js'
import { formErrors, formOf, refusesForm, trimmed } from './form.js'
import { problemPage, type Viewer } from './frame.js'
import { html, pathOf } from './html.js'
import { noticeOf, withNotice } from './notices.js'
import { versionOf } from './object-routes.js'
import { sendPage } from './page.js'
import { seeOther } from './routes.js'

type CustomerName = { Params: { name: string }; Querystring: { done?: string } }
const customerName = { schema: { params: CustomerParams } }

const customerPath = (name: string) => pathOf('admin', 'customers', name)

export async function adminPages(app: FastifyInstance, pages: PanelPages): Promise<void> {
  await app.register(async (ui) => {
    acceptForms(ui, 16 * 1024)
    const signedIn = new WeakMap<FastifyRequest, { viewer: Viewer; admin: AdminService }>()
    const of = (request: FastifyRequest) => {
      const known = signedIn.get(request)
      if (!known) throw new Error(`admin page ${request.url} ran without the session hook`)
      return known
    }
    const problem = (viewer: Viewer, title: string, text: string) =>
      adminPage(viewer, { title, notice: { kind: 'problem', text }, body: html`<p><a href="/">Back</a></p>` })

    ui.addHook('onRequest', async (request, reply) => {
      const session = await pages.session(request)
      if (!session) {
        const back = request.method === 'GET' ? request.url : '/admin'
        return seeOther(reply, `${pages.signInPath}?next=${encodeURIComponent(back)}`)
      }
      const viewer: Viewer = {
        identity: session.identity,
        csrfToken: session.csrfToken,
        signOutPath: pages.signOutPath,
      }
      if (!session.admin)
        return sendPage(
          reply,
          problemPage(viewer, 'Not an admin', 'These pages are for the provider’s admins only.'),
          403,
        )
      signedIn.set(request, { viewer, admin: session.admin })
    })

    ui.setErrorHandler((error: Error, request, reply) => {
      const answer =
        error instanceof PanelError ? error : requestError(error as Parameters<typeof requestError>[0])
      const known = signedIn.get(request)
      if (!answer || !known) {
        request.log.error({ err: error }, 'panel admin page failed')
        return reply
          .code(500)
          .type('text/plain; charset=utf-8')
          .send('The panel failed; the error is in its log.')
      }
      return answer.code === 'HP_ERR_PANEL_NOT_FOUND'
        ? sendPage(reply, problem(known.viewer, 'Not found', 'There is no such customer or page.'), 404)
        : sendPage(reply, problem(known.viewer, 'Refused', answer.message), answer.status)
    })

    ui.get('/admin', async (_request, reply) => seeOther(reply, '/admin/customers'))

    ui.get<{ Querystring: { done?: string } }>('/admin/customers', async (request, reply) => {
      const { viewer, admin } = of(request)
      return sendPage(reply, customersPage(viewer, await admin.listCustomers(), noticeOf(request.query.done)))
    })

    ui.get('/admin/customers/new', async (request, reply) =>
      sendPage(reply, newCustomerPage(of(request).viewer, { values: {} })),
    )

    ui.post('/admin/customers', { preHandler: pages.requireCsrf }, async (request, reply) => {
      const { viewer, admin } = of(request)
      const form = formOf(request.body)
      const name = trimmed(form.name)
      try {
        await admin.createCustomer(name, customerSpec(form))
      } catch (error) {
        if (!refusesForm(error)) throw error
        const errors = formErrors(error, CUSTOMER_FIELDS, 'create')
        return sendPage(reply, newCustomerPage(viewer, { values: form, errors }), 422)
      }
      return seeOther(reply, withNotice(customerPath(name), 'customer-created'))
    })

    ui.get<CustomerName>('/admin/customers/:name', customerName, async (request, reply) => {
      const { viewer, admin } = of(request)
      const customer = await admin.getCustomer(request.params.name)
      return sendPage(reply, customerPage(viewer, customer, { notice: noticeOf(request.query.done) }))
    })

    /** Applies `change` to the Customer and redirects with `done`, or shows its page with the refusal. */
    const changeCustomer = async (
      request: FastifyRequest<CustomerName>,
      change: UpdateCustomer,
      done: 'customer-saved' | 'suspended' | 'unsuspended',
    ) => {
      const { viewer, admin } = of(request)
      const { name } = request.params
      try {
        await admin.updateCustomer(name, change)
        return { location: withNotice(customerPath(name), done) }
      } catch (error) {
        if (!refusesForm(error)) throw error
        const errors = formErrors(error, CUSTOMER_CHANGE_FIELDS, 'edit')
        const customer = await admin.getCustomer(name)
        return { page: customerPage(viewer, customer, { values: formOf(request.body), errors }) }
      }
    }

    ui.post<CustomerName>(
      '/admin/customers/:name',
      { ...customerName, preHandler: pages.requireCsrf },
      async (request, reply) => {
        const form = formOf(request.body)
        const resourceVersion = versionOf(form.resourceVersion)
        const change = {
          tier: trimmed(form.tier),
          size: trimmed(form.size),
          ...(resourceVersion ? { resourceVersion } : {}),
        } as UpdateCustomer
        const answer = await changeCustomer(request, change, 'customer-saved')
        return answer.page ? sendPage(reply, answer.page, 422) : seeOther(reply, answer.location)
      },
    )

    ui.post<CustomerName>(
      '/admin/customers/:name/suspension',
      { ...customerName, preHandler: pages.requireCsrf },
      async (request, reply) => {
        const suspended = formOf(request.body).suspended === 'true'
        const answer = await changeCustomer(request, { suspended }, suspended ? 'suspended' : 'unsuspended')
        return answer.page ? sendPage(reply, answer.page, 422) : seeOther(reply, answer.location)
      },
    )

    /** Stores the choice in the session; a session ended meanwhile refuses it (and the audit log says so). */
    const keepActingAs = async (request: FastifyRequest, customer: string | undefined) => {
      if (!(await pages.actAs(request, customer)))
        throw new PanelError('HP_ERR_PANEL_UNAUTHENTICATED', 'the session has ended: sign in again')
    }

    ui.post(ACT_AS_PATH, { preHandler: pages.requireCsrf }, async (request, reply) => {
      const { admin } = of(request)
      const customer = trimmed(formOf(request.body).customer)
      if (!isCustomerName(customer)) throw new PanelError('HP_ERR_PANEL_NOT_FOUND')
      await admin.actAs(customer, () => keepActingAs(request, customer))
      return seeOther(reply, withNotice('/', 'acting'))
    })

    ui.post(STOP_ACTING_PATH, { preHandler: pages.requireCsrf }, async (request, reply) => {
      await of(request).admin.stopActing(() => keepActingAs(request, undefined))
      return seeOther(reply, withNotice('/admin/customers', 'stopped-acting'))
    })

    ui.get('/admin/audit', async (request, reply) => {
      const { viewer, admin } = of(request)
      const search = auditSearchOf(request.query)
      return sendPage(reply, auditPage(viewer, search, await admin.auditLog(search.query)))
    })
  })
}
