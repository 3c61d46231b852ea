/**
 * A webspace's build under /api/v1: its state as JSON, and its log live as server-sent events
 * (build-events.ts says what a stream sends). A stream follows the latest build: while it runs,
 * it watches the Webspace as the customer (so RBAC decides, and another customer's webspace is a
 * 404 before any byte is sent) and sends each new line until the build ends; a build already over
 * is replayed and the stream closes. With `follow` the stream stays open past the end (or past
 * `none`) and sends each later build as it starts: a page open before a push shows that push's
 * build. Streams are bounded per customer and in time, and send a comment now and then so proxies
 * keep them open.
 */
import { type Static, Type } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import { StringEnum } from '../api/schema-kit.js'
import { BuildStatus } from '../api/webspace.js'
import { errors, service } from './api-routes.js'
import { BUILD_EVENTS, buildEvents, sseFrame, streamDone } from './build-events.js'
import { PanelError } from './errors.js'
import { NameParams } from './schemas.js'

export interface BuildStreamLimits {
  /** Open streams one customer may hold. @default 4 */
  readonly perCustomer?: number
  /** A stream is closed after this long, whatever the build does. @default 15 minutes */
  readonly maxMs?: number
  /** @default 15000 */
  readonly keepAliveMs?: number
  /** Seconds one watch of the API server lasts before it is renewed. @default 240 */
  readonly watchSeconds?: number
}

const BuildAnswer = Type.Object(
  { build: Type.Optional(BuildStatus) },
  { title: 'WebspaceBuild', description: 'No `build` when the webspace was never pushed to.' },
)

/** One event of the stream, as a client's event parser gives it (`data` is JSON text). */
const BuildStreamEvent = Type.Object(
  {
    event: StringEnum(BUILD_EVENTS),
    data: Type.String({ contentMediaType: 'application/json' }),
  },
  { title: 'BuildStreamEvent' },
)

const BuildStreamQuery = Type.Object({
  follow: Type.Optional(
    Type.Boolean({
      description:
        'Stay open when the build ends (or when there is none) and send each later build as it starts, until the stream’s time is up.',
    }),
  ),
})

type Name = { Params: Static<typeof NameParams> }

export const buildRoutes: FastifyPluginAsync<{ limits?: BuildStreamLimits }> = async (app, options) => {
  const {
    perCustomer = 4,
    maxMs = 15 * 60_000,
    keepAliveMs = 15_000,
    watchSeconds = 240,
  } = options.limits ?? {}
  const open = new Map<string, number>()
  const streams = new Set<AbortController>()
  // The server's close waits for every response to end: a stream (a page left open, following
  // its webspace) would hold a shutdown for up to maxMs. Each ends now, on a connection that
  // closes with it, since the server reaps only the connections idle when its close begins.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.abort()
  })

  app.get<Name>(
    '/webspaces/:name/build',
    {
      schema: {
        summary: 'The webspace’s latest build: phase, commit, and the last lines of its log',
        tags: ['releases'],
        params: NameParams,
        response: { 200: BuildAnswer, ...errors(404) },
      },
    },
    async (request) => {
      const { build } = await service(request).webspaceBuild(request.params.name)
      return build ? { build } : {}
    },
  )

  app.get<Name & { Querystring: Static<typeof BuildStreamQuery> }>(
    '/webspaces/:name/build/events',
    {
      schema: {
        summary: 'The webspace’s latest build log, live, as server-sent events',
        description:
          'Events: `build` (a build started), `line` ({n, text}), `skipped` ({lines}), `end` ({phase, release?}), `none` (never built). The stream closes when the build ends; a build already over is replayed. With `follow=true` it stays open for the builds that come next.',
        tags: ['releases'],
        params: NameParams,
        querystring: BuildStreamQuery,
        produces: 'text/event-stream',
        response: { 200: BuildStreamEvent, ...errors(404) },
      },
    },
    async (request, reply) => {
      const customer = service(request)
      const who = customer.customer
      const name = request.params.name
      const follow = request.query.follow === true
      // Before the stream opens, so a webspace that is not the caller's is an ordinary 404.
      const { build, resourceVersion: readAt } = await customer.webspaceBuild(name)
      let resourceVersion = readAt
      if ((open.get(who) ?? 0) >= perCustomer)
        throw new PanelError(
          'HP_ERR_PANEL_TOO_MANY_STREAMS',
          `${perCustomer} build log streams are open for ${who}; close one (another tab) and try again`,
        )
      open.set(who, (open.get(who) ?? 0) + 1)
      const stop = new AbortController()
      streams.add(stop)
      const closed = () => stop.abort()
      request.raw.on('close', closed)
      const deadline = setTimeout(closed, maxMs)
      reply.hijack()
      const out = reply.raw
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'close',
      })
      // A client that reconnects after the end only sees the same build again: not soon.
      out.write('retry: 30000\n\n')
      const keepAlive = setInterval(() => out.write(': keep-alive\n\n'), keepAliveMs)
      let seen: BuildStatus | undefined
      const send = (now: BuildStatus | undefined) => {
        for (const event of buildEvents(seen, now)) out.write(sseFrame(event))
        if (now) seen = now
        if (!follow && streamDone(seen)) stop.abort()
      }
      try {
        if (!build) out.write(sseFrame({ event: 'none', data: {} }))
        else send(build)
        while ((build || follow) && !stop.signal.aborted) {
          const watched = await customer.watchWebspaceBuild(name, resourceVersion, send, {
            signal: stop.signal,
            timeoutSeconds: watchSeconds,
          })
          if (watched.deleted) break
          resourceVersion = watched.resourceVersion
        }
      } catch (error) {
        // The status is gone from under the watch (410) or the API server failed: the client
        // reconnects and starts from the build as it stands then.
        if (!stop.signal.aborted)
          request.log.warn({ err: error, webspace: name, customer: who }, 'build stream ended')
      } finally {
        clearInterval(keepAlive)
        clearTimeout(deadline)
        request.raw.off('close', closed)
        streams.delete(stop)
        const left = (open.get(who) ?? 1) - 1
        if (left > 0) open.set(who, left)
        else open.delete(who)
        out.end()
      }
    },
  )
}
