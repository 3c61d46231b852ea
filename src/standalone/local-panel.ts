/**
 * The panel of `hostplane serve`, under /panel on the control listener: its sites with their
 * status in words, each site's revisions, sync now, roll back to a kept revision and follow a
 * branch again — the same actions as `POST /sync` and `POST /sites/…/ref`, for a browser.
 *
 * Who may use it: whoever has the sync token (the file `npm start` makes, readable by its owner
 * only), typed once into the sign-in form; the session is a random id in an HttpOnly, SameSite=Strict
 * cookie, kept in memory for 12 hours at most. Changes need the session's CSRF token and a
 * same-origin request (the cluster panel's rule, src/panel/auth/csrf.ts). While the listener is on
 * a loopback address, a request naming any other host is refused, so a web page cannot reach the
 * panel by pointing a DNS name of its own at 127.0.0.1 (DNS rebinding). Failed sign-ins are
 * limited per address.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { csrfRefusal } from '../panel/auth/csrf.js'
import { FailureLimiter } from '../panel/auth/failure-limiter.js'
import { MemorySessionStore, randomId } from '../panel/auth/session-store.js'
import { readCookie } from '../panel/auth/cookies.js'
import { acceptForms } from '../panel/ui/form-body.js'
import { registerStylesheet, sendPage } from '../panel/ui/page.js'
import {
  isSiteNotice,
  PANEL_PREFIX,
  signInPage,
  type SiteNotice,
  sitePage,
  sitePath,
  sitesPage,
  type SiteRow,
} from './panel-pages.js'
import { SiteRefError } from './site-ref.js'

export interface LocalPanelOptions {
  /** The sync token; without one the panel answers 404. */
  readonly syncToken?: string
  /** Where the token is, as the sign-in page names it (e.g. `.data/sync-token`). */
  readonly tokenHint: string
  /** The control listener's host: loopback makes the panel refuse other Host names. */
  readonly listenHost: string
  readonly rows: () => readonly SiteRow[]
  readonly fileOf: (id: string) => string | undefined
  readonly problems: () => readonly string[]
  readonly trigger: (id: string) => boolean
  /** Writes the site's ref; rejects with a SiteRefError saying why not. */
  readonly setRef: (id: string, ref: string) => Promise<void>
}

const COOKIE = 'hostplane-serve-panel'
const SESSION_SECONDS = 12 * 3600
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '[::1]'])

interface Session {
  readonly csrf: string
}

const digest = (text: string) => createHash('sha256').update(text).digest()
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b))

/** The host name of a Host header, without the port. */
const hostName = (host: string | undefined) => (host ?? '').replace(/:\d+$/, '').toLowerCase()

type Form = Record<string, string | undefined>

export const localPanel: FastifyPluginAsync<LocalPanelOptions> = async (app, options) => {
  const sessions = new MemorySessionStore<Session>({
    idleMs: SESSION_SECONDS * 1000,
    absoluteMs: SESSION_SECONDS * 1000,
    maxEntries: 100,
  })
  const failures = new FailureLimiter({ perMinute: 10 })
  const loopbackOnly = LOOPBACK.has(options.listenHost)

  acceptForms(app, 4096)
  registerStylesheet(app, PANEL_PREFIX)

  app.addHook('onRequest', async (request, reply) => {
    if (!options.syncToken)
      return reply.code(404).send({ error: 'the panel is not enabled (no sync token configured)' })
    if (loopbackOnly && !LOOPBACK.has(hostName(request.headers.host)))
      return reply.code(403).send({ error: 'this panel answers on 127.0.0.1 and localhost only' })
  })

  const sessionOf = async (request: FastifyRequest) => {
    const id = readCookie(request.headers.cookie, COOKIE)
    return id === undefined ? undefined : await sessions.get(id)
  }

  /** The session of a page or action; otherwise the answer is already sent (sign-in, or 403). */
  const signedIn = async (request: FastifyRequest, reply: FastifyReply): Promise<Session | undefined> => {
    const session = await sessionOf(request)
    if (!session) {
      void reply.code(303).header('location', `${PANEL_PREFIX}/sign-in`).send()
      return undefined
    }
    const refusal = csrfRefusal({
      method: request.method,
      bearer: false,
      origin: request.headers.origin,
      fetchSite: request.headers['sec-fetch-site'] as string | undefined,
      token: (request.body as Form | undefined)?._csrf,
      expected: session.csrf,
      publicOrigin: `http://${request.headers.host ?? ''}`,
    })
    if (refusal) {
      request.log.warn({ refusal }, 'panel request refused')
      void sendPage(
        reply,
        signInPage(options.tokenHint, `Refused: ${refusal}. Reload the page and try again.`),
        403,
      )
      return undefined
    }
    return session
  }

  const rowOf = (id: string) => options.rows().find((row) => row.status.site === id)

  app.get(`${PANEL_PREFIX}/sign-in`, async (_request, reply) =>
    sendPage(reply, signInPage(options.tokenHint)),
  )

  app.post<{ Body: Form }>(`${PANEL_PREFIX}/sign-in`, async (request, reply) => {
    const wait = failures.retryAfterMs(request.ip)
    if (wait > 0)
      return sendPage(
        reply.header('retry-after', String(Math.ceil(wait / 1000))),
        signInPage(options.tokenHint, 'Too many wrong tokens from this address; wait a minute.'),
        429,
      )
    const token = request.body?.token?.trim() ?? ''
    if (!options.syncToken || !sameSecret(token, options.syncToken)) {
      failures.failed(request.ip)
      request.log.warn({ address: request.ip }, 'panel sign-in refused: wrong token')
      return sendPage(reply, signInPage(options.tokenHint, 'That is not the sync token.'), 401)
    }
    const id = await sessions.create({ csrf: randomId() })
    return reply
      .code(303)
      .header(
        'set-cookie',
        `${COOKIE}=${id}; Path=${PANEL_PREFIX}; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict`,
      )
      .header('location', `${PANEL_PREFIX}/`)
      .send()
  })

  app.post<{ Body: Form }>(`${PANEL_PREFIX}/sign-out`, async (request, reply) => {
    if (!(await signedIn(request, reply))) return reply
    const id = readCookie(request.headers.cookie, COOKIE)
    if (id) await sessions.delete(id)
    return reply
      .code(303)
      .header('set-cookie', `${COOKIE}=; Path=${PANEL_PREFIX}; Max-Age=0; HttpOnly; SameSite=Strict`)
      .header('location', `${PANEL_PREFIX}/sign-in`)
      .send()
  })

  app.get(PANEL_PREFIX, async (_request, reply) =>
    reply.code(301).header('location', `${PANEL_PREFIX}/`).send(),
  )

  app.get(`${PANEL_PREFIX}/`, async (request, reply) => {
    const session = await signedIn(request, reply)
    if (!session) return reply
    return sendPage(reply, sitesPage(options.rows(), session.csrf, options.problems()))
  })

  type Site = { Params: { namespace: string; name: string }; Querystring: { done?: string }; Body: Form }

  const showSite = async (
    request: FastifyRequest<Site>,
    reply: FastifyReply,
    session: Session,
    notice?: Parameters<typeof sitePage>[3],
    status = 200,
  ) => {
    const id = `${request.params.namespace}/${request.params.name}`
    const row = rowOf(id)
    const file = options.fileOf(id)
    if (!row || !file)
      return sendPage(
        reply,
        sitesPage(options.rows(), session.csrf, [`No StaticSite ${id}: it may have been removed.`]),
        404,
      )
    return sendPage(reply, sitePage(row, file, session.csrf, notice), status)
  }

  app.get<Site>(`${PANEL_PREFIX}/sites/:namespace/:name`, async (request, reply) => {
    const session = await signedIn(request, reply)
    if (!session) return reply
    const done = request.query.done
    return showSite(request, reply, session, isSiteNotice(done) ? { kind: 'ok', done } : undefined)
  })

  const doneAt = (reply: FastifyReply, id: string, done: SiteNotice) =>
    reply
      .code(303)
      .header('location', `${sitePath(id)}?done=${done}`)
      .send()

  app.post<Site>(`${PANEL_PREFIX}/sites/:namespace/:name/sync`, async (request, reply) => {
    const session = await signedIn(request, reply)
    if (!session) return reply
    const id = `${request.params.namespace}/${request.params.name}`
    if (!options.trigger(id)) return showSite(request, reply, session)
    request.log.info({ site: id }, 'sync requested in the panel')
    return doneAt(reply, id, 'synced')
  })

  app.post<Site>(`${PANEL_PREFIX}/sites/:namespace/:name/ref`, async (request, reply) => {
    const session = await signedIn(request, reply)
    if (!session) return reply
    const id = `${request.params.namespace}/${request.params.name}`
    const ref = request.body.ref?.trim() ?? ''
    const wasRevision = rowOf(id)?.sync.revisions.some((r) => r.commit === ref) ?? false
    try {
      await options.setRef(id, ref)
    } catch (error) {
      if (!(error instanceof SiteRefError)) throw error
      return showSite(request, reply, session, { kind: 'problem', text: error.message }, 422)
    }
    request.log.info({ site: id, ref }, 'site ref changed in the panel')
    return doneAt(reply, id, wasRevision ? 'rolled-back' : 'ref-changed')
  })
}
