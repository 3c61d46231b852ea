/**
 * The web UI's routes, mounted by panelApp's `pages` hook when OpenID Connect sign-in is on: the
 * assets, then every page behind the session. A page route gathers its data through the request's
 * CustomerService — the one the JSON API uses, acting as the customer — and hands it to a pure
 * page function; a change is a POST form with the session's CSRF token (requireCsrf) that
 * redirects to a page saying what it did. A request without a session goes to sign-in and comes
 * back; a refusal is shown in the page's frame, never as JSON.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { CustomerService } from '../customer-service.js'
import { PanelError } from '../errors.js'
import type { PanelPages } from '../panel-app.js'
import { requestError } from '../request-errors.js'
import { actingBanner } from './admin-frame.js'
import { backupsPage } from './backups-page.js'
import { BUILD_LOG_SCRIPT } from './build-log-script.js'
import { acceptForms } from './form-body.js'
import { PANEL_NAME, problemPage, SECTIONS, type Section, type Viewer } from './frame.js'
import { html } from './html.js'
import { noticeOf } from './notices.js'
import { overviewPage } from './overview-page.js'
import { page, registerAsset, registerStylesheet, sendPage } from './page.js'
import { siteRoutes } from './site-routes.js'
import { sshKeyRoutes } from './ssh-key-routes.js'
import { tokenRoutes } from './token-routes.js'
import { webspaceRoutes } from './webspace-routes.js'

/** A signed-in customer's page request, as its handler gets it. */
export interface PageRequest {
  readonly viewer: Viewer
  readonly customer: CustomerService
}

/** What each group of page routes gets. */
export interface PageRoutes {
  /** The request's viewer and customer service (the session hook found them). */
  readonly of: (request: FastifyRequest) => PageRequest
  /** preHandler of every POST. */
  readonly requireCsrf: preHandlerAsyncHookHandler
}

/** The section a path belongs to, for the navigation of a page that only says what went wrong. */
const sectionOf = (url: string): Section =>
  (Object.entries(SECTIONS).find(([, link]) => link.href !== '/' && url.startsWith(link.href))?.[0] as
    Section | undefined) ?? 'overview'

export const seeOther = (reply: FastifyReply, location: string) => reply.redirect(location, 303)

export async function customerPages(app: FastifyInstance, pages: PanelPages): Promise<void> {
  await app.register(async (ui) => {
    // An SSH key is the largest thing a form sends: 16 KiB at most.
    acceptForms(ui, 64 * 1024)
    registerStylesheet(ui)
    registerAsset(ui, BUILD_LOG_SCRIPT)

    const signedIn = new WeakMap<FastifyRequest, PageRequest>()
    ui.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/assets/')) return
      const session = await pages.session(request)
      if (!session) {
        const back = request.method === 'GET' ? request.url : '/'
        return seeOther(reply, `${pages.signInPath}?next=${encodeURIComponent(back)}`)
      }
      const banner = actingBanner(session.identity, session.csrfToken)
      const viewer: Viewer = {
        identity: session.identity,
        csrfToken: session.csrfToken,
        signOutPath: pages.signOutPath,
        ...(banner ? { banner } : {}),
      }
      // Only an admin acts as no customer (sign-in refuses any other account without one): its
      // pages are the admin pages.
      if (!session.customer) return seeOther(reply, '/admin/customers')
      signedIn.set(request, { viewer, customer: session.customer })
    })

    ui.setErrorHandler((error: Error, request, reply) => {
      const answer =
        error instanceof PanelError ? error : requestError(error as Parameters<typeof requestError>[0])
      const known = signedIn.get(request)
      if (!answer || !known) {
        request.log.error({ err: error }, 'panel page failed')
        return sendPage(
          reply,
          page({
            title: 'Something failed',
            site: PANEL_NAME,
            notice: {
              kind: 'problem',
              text: 'The panel failed; the error is in its log. Try again in a moment.',
            },
            body: html`<p><a href="/">Back to the overview</a></p>`,
          }),
          500,
        )
      }
      if (answer.code === 'HP_ERR_PANEL_UNAVAILABLE')
        request.log.warn({ err: answer.cause }, 'Kubernetes API unavailable')
      const section = sectionOf(request.url)
      return answer.code === 'HP_ERR_PANEL_NOT_FOUND'
        ? sendPage(
            reply,
            problemPage(
              known.viewer,
              'Not found',
              'There is no such page or object: it may have been deleted.',
              section,
            ),
            404,
          )
        : sendPage(reply, problemPage(known.viewer, 'Refused', answer.message, section), answer.status)
    })

    const routes: PageRoutes = {
      of: (request) => {
        const known = signedIn.get(request)
        if (!known) throw new Error(`page route ${request.url} ran without the session hook`)
        return known
      },
      requireCsrf: pages.requireCsrf,
    }

    ui.get<{ Querystring: { done?: string } }>('/', async (request, reply) => {
      const { viewer, customer } = routes.of(request)
      const [me, usage, domains] = await Promise.all([customer.me(), customer.usage(), customer.domains()])
      return sendPage(reply, overviewPage(viewer, { me, usage, domains }, noticeOf(request.query.done)))
    })
    ui.get('/backups', async (request, reply) => {
      const { viewer, customer } = routes.of(request)
      return sendPage(reply, backupsPage(viewer, await customer.listBackups()))
    })
    siteRoutes(ui, routes)
    webspaceRoutes(ui, routes)
    sshKeyRoutes(ui, routes)
    tokenRoutes(ui, routes)
  })
}
