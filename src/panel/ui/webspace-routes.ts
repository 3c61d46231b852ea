/**
 * The Webspace pages: those of every object (object-routes.ts), a webspace's page with its build
 * and Releases, and its own buttons: Roll back to a Release, and Follow the branch again.
 */
import type { FastifyInstance } from 'fastify'
import type { WebspaceSpec } from '../../api/webspace.js'
import type { WebspaceView } from '../schemas.js'
import { formOf, trimmed } from './form.js'
import { pathOf } from './html.js'
import { withNotice } from './notices.js'
import { type Named, named, objectRoutes, refusedOn } from './object-routes.js'
import { type PageProps, sendPage } from './page.js'
import { type PageRequest, type PageRoutes, seeOther } from './routes.js'
import { WEBSPACE_FIELDS, webspaceFormPage, webspaceFormValues, webspaceSpec } from './webspace-form.js'
import { webspacePage } from './webspace-page.js'
import { webspacesPage } from './webspaces-page.js'

async function showWebspace({ viewer, customer }: PageRequest, name: string, notice?: PageProps['notice']) {
  const [webspace, releases, { build }] = await Promise.all([
    customer.getWebspace(name),
    customer.listReleases(name),
    customer.webspaceBuild(name),
  ])
  return webspacePage(viewer, { webspace, releases, ...(build ? { build } : {}) }, notice)
}

export function webspaceRoutes(app: FastifyInstance, routes: PageRoutes): void {
  objectRoutes<WebspaceView, WebspaceSpec>(app, routes, {
    collection: '/webspaces',
    section: 'webspaces',
    noun: 'webspace',
    fields: WEBSPACE_FIELDS,
    list: (customer) => customer.listWebspaces(),
    get: (customer, name) => customer.getWebspace(name),
    create: (customer, name, spec) => customer.createWebspace(name, spec),
    update: (customer, name, spec, version) => customer.updateWebspace(name, spec, version),
    remove: (customer, name) => customer.deleteWebspace(name),
    listPage: webspacesPage,
    show: showWebspace,
    formPage: webspaceFormPage,
    formValues: webspaceFormValues,
    spec: webspaceSpec,
    deleting: (name) =>
      `The webspace ${name} stops, and its Git repository on the cluster is removed at once: clone it first to keep its code.`,
  })
  const { of, requireCsrf } = routes

  app.post<Named>(
    '/webspaces/:name/rollback',
    { ...named, preHandler: requireCsrf },
    async (request, reply) => {
      const { name } = request.params
      try {
        await of(request).customer.rollback(name, trimmed(formOf(request.body).release))
      } catch (error) {
        const notice = refusedOn(error)
        if (!notice) throw error
        return sendPage(reply, await showWebspace(of(request), name, notice), 422)
      }
      return seeOther(reply, withNotice(pathOf('webspaces', name), 'webspace-rolled-back'))
    },
  )

  app.post<Named>(
    '/webspaces/:name/follow',
    { ...named, preHandler: requireCsrf },
    async (request, reply) => {
      const { customer } = of(request)
      const { name } = request.params
      const { spec, resourceVersion } = await customer.getWebspace(name)
      const following: WebspaceSpec = { ...spec }
      delete following.release
      await customer.updateWebspace(name, following, resourceVersion)
      return seeOther(reply, withNotice(pathOf('webspaces', name), 'following'))
    },
  )
}
