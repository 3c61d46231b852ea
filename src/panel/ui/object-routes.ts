/**
 * The routes every kind of customer object has in the web UI, the same for StaticSites and
 * Webspaces: the list, one object, the create and edit forms, and create, save and delete (after
 * a page that asks). A form the API server refuses is shown again, 422, with its words next to
 * the fields and the values as typed; every change redirects to a page that says what it did.
 */
import type { FastifyInstance } from 'fastify'
import type { CustomerService } from '../customer-service.js'
import { NameParams } from '../schemas.js'
import { confirmPage } from './confirm-page.js'
import type { Section, Viewer } from './frame.js'
import { type FormErrors, formErrors, formOf, type FormValues, refusesForm, trimmed } from './form.js'
import { type Html, pathOf } from './html.js'
import { noticeOf, withNotice } from './notices.js'
import { type PageProps, sendPage } from './page.js'
import { type PageRequest, type PageRoutes, seeOther } from './routes.js'

export interface EditedObject<Spec> {
  readonly name: string
  readonly resourceVersion: string
  readonly spec: Spec
}

export interface ObjectKind<View extends EditedObject<Spec>, Spec> {
  /** `/sites`: the list, and the prefix of each object's pages. */
  readonly collection: string
  readonly section: Section
  /** The kind in words, e.g. `static site`. */
  readonly noun: string
  /** The form's fields, for placing the API server's refusals. */
  readonly fields: readonly string[]
  readonly list: (customer: CustomerService) => Promise<readonly View[]>
  readonly get: (customer: CustomerService, name: string) => Promise<View>
  readonly create: (customer: CustomerService, name: string, spec: Spec) => Promise<unknown>
  readonly update: (
    customer: CustomerService,
    name: string,
    spec: Spec,
    resourceVersion?: string,
  ) => Promise<unknown>
  readonly remove: (customer: CustomerService, name: string) => Promise<void>
  readonly listPage: (viewer: Viewer, items: readonly View[], notice?: PageProps['notice']) => Html
  /** One object's page: gathers what it shows and renders it. */
  readonly show: (request: PageRequest, name: string, notice?: PageProps['notice']) => Promise<Html>
  readonly formPage: (
    viewer: Viewer,
    props: { readonly editing?: View; readonly values: FormValues; readonly errors?: FormErrors },
  ) => Html
  readonly formValues: (object: View) => FormValues
  readonly spec: (form: FormValues, base?: Spec) => Spec
  /** What deleting `name` does, in a sentence. */
  readonly deleting: (name: string) => string
}

export type Named = { Params: { name: string }; Querystring: { done?: string } }
export const named = { schema: { params: NameParams } }

/** A resourceVersion as the API server takes it (schemas.ts says why only digits). */
export const versionOf = (value: string | undefined) =>
  /^[0-9]{1,20}$/.test(value ?? '') ? value : undefined

export function objectRoutes<View extends EditedObject<Spec>, Spec>(
  app: FastifyInstance,
  { of, requireCsrf }: PageRoutes,
  kind: ObjectKind<View, Spec>,
): void {
  const { collection } = kind
  const pathOfObject = (name: string) => `${collection}${pathOf(name)}`

  app.get<{ Querystring: { done?: string } }>(collection, async (request, reply) => {
    const { viewer, customer } = of(request)
    return sendPage(reply, kind.listPage(viewer, await kind.list(customer), noticeOf(request.query.done)))
  })

  app.get(`${collection}/new`, async (request, reply) =>
    sendPage(reply, kind.formPage(of(request).viewer, { values: {} })),
  )

  app.post(collection, { preHandler: requireCsrf }, async (request, reply) => {
    const { viewer, customer } = of(request)
    const form = formOf(request.body)
    const name = trimmed(form.name)
    try {
      await kind.create(customer, name, kind.spec(form))
    } catch (error) {
      if (!refusesForm(error)) throw error
      const errors = formErrors(error, kind.fields, 'create')
      return sendPage(reply, kind.formPage(viewer, { values: form, errors }), 422)
    }
    request.log.info({ name, customer: customer.customer, kind: kind.noun }, 'created in the panel')
    return seeOther(reply, withNotice(pathOfObject(name), 'created'))
  })

  app.get<Named>(`${collection}/:name`, named, async (request, reply) =>
    sendPage(reply, await kind.show(of(request), request.params.name, noticeOf(request.query.done))),
  )

  app.get<Named>(`${collection}/:name/edit`, named, async (request, reply) => {
    const { viewer, customer } = of(request)
    const object = await kind.get(customer, request.params.name)
    return sendPage(reply, kind.formPage(viewer, { editing: object, values: kind.formValues(object) }))
  })

  app.post<Named>(`${collection}/:name`, { ...named, preHandler: requireCsrf }, async (request, reply) => {
    const { viewer, customer } = of(request)
    const { name } = request.params
    const form = formOf(request.body)
    const object = await kind.get(customer, name)
    try {
      await kind.update(customer, name, kind.spec(form, object.spec), versionOf(form.resourceVersion))
    } catch (error) {
      if (!refusesForm(error)) throw error
      const errors = formErrors(error, kind.fields, 'edit')
      return sendPage(reply, kind.formPage(viewer, { editing: object, values: form, errors }), 422)
    }
    return seeOther(reply, withNotice(pathOfObject(name), 'saved'))
  })

  app.get<Named>(`${collection}/:name/delete`, named, async (request, reply) => {
    const { viewer, customer } = of(request)
    const { name } = await kind.get(customer, request.params.name)
    const path = pathOfObject(name)
    return sendPage(
      reply,
      confirmPage(viewer, {
        title: `Delete ${name}?`,
        section: kind.section,
        consequence: kind.deleting(name),
        action: `${path}/delete`,
        button: `Delete ${kind.noun}`,
        cancel: path,
      }),
    )
  })

  app.post<Named>(
    `${collection}/:name/delete`,
    { ...named, preHandler: requireCsrf },
    async (request, reply) => {
      const { customer } = of(request)
      await kind.remove(customer, request.params.name)
      request.log.info(
        { name: request.params.name, customer: customer.customer, kind: kind.noun },
        'deleted in the panel',
      )
      return seeOther(reply, withNotice(collection, 'deleted'))
    },
  )
}

/** Renders the object's page again with a refusal of one of its buttons (a rollback), 422. */
export const refusedOn = (error: unknown): PageProps['notice'] | undefined => {
  if (!refusesForm(error)) return undefined
  const why = error.fields?.map((f) => f.message).join('; ') || error.message
  return { kind: 'problem', text: `Not done: ${why}` }
}
