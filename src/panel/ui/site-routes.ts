/**
 * The StaticSite pages: those of every object (object-routes.ts) and the site's own buttons,
 * Sync now and Roll back to a kept revision.
 */
import type { FastifyInstance } from 'fastify'
import type { SiteView } from '../schemas.js'
import type { StaticSiteSpec } from '../../api/staticsite.js'
import { formOf, trimmed } from './form.js'
import { pathOf } from './html.js'
import { withNotice } from './notices.js'
import { type Named, named, objectRoutes, refusedOn } from './object-routes.js'
import { sendPage } from './page.js'
import { type PageRoutes, seeOther } from './routes.js'
import { SITE_FIELDS, siteFormPage, siteFormValues, siteSpec } from './site-form.js'
import { sitePage } from './site-page.js'
import { sitesPage } from './sites-page.js'

export function siteRoutes(app: FastifyInstance, routes: PageRoutes): void {
  objectRoutes<SiteView, StaticSiteSpec>(app, routes, {
    collection: '/sites',
    section: 'sites',
    noun: 'site',
    fields: SITE_FIELDS,
    list: (customer) => customer.listSites(),
    get: (customer, name) => customer.getSite(name),
    create: (customer, name, spec) => customer.createSite(name, spec),
    update: (customer, name, spec, version) => customer.updateSite(name, spec, version),
    remove: (customer, name) => customer.deleteSite(name),
    listPage: sitesPage,
    show: async ({ viewer, customer }, name, notice) =>
      sitePage(viewer, await customer.getSite(name), notice),
    formPage: siteFormPage,
    formValues: siteFormValues,
    spec: siteSpec,
    deleting: (name) =>
      `The static site ${name} stops being served and its published files are removed. Its Git repository is not touched.`,
  })
  const { of, requireCsrf } = routes

  app.post<Named>('/sites/:name/sync', { ...named, preHandler: requireCsrf }, async (request, reply) => {
    const { name } = request.params
    await of(request).customer.syncSite(name, new Date().toISOString())
    return seeOther(reply, withNotice(pathOf('sites', name), 'sync-requested'))
  })

  app.post<Named>('/sites/:name/rollback', { ...named, preHandler: requireCsrf }, async (request, reply) => {
    const { viewer, customer } = of(request)
    const { name } = request.params
    try {
      await customer.rollbackSite(name, trimmed(formOf(request.body).commit))
    } catch (error) {
      const notice = refusedOn(error)
      if (!notice) throw error
      return sendPage(reply, sitePage(viewer, await customer.getSite(name), notice), 422)
    }
    return seeOther(reply, withNotice(pathOf('sites', name), 'site-rolled-back'))
  })
}
