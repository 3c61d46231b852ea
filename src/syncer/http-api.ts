/**
 * The syncer's HTTP API, as a fastify plugin:
 *
 *   POST /webhooks/{github|gitea|forgejo|gitlab}  push webhooks; 202 at once, syncs in the background
 *   POST /hooks/sites/{namespace}/{name}           a site's own webhook, verified with the site's
 *                                                  own secret (spec.webhook); syncs that site only
 *   POST /sync/{namespace}/{name}                  sync one site now; `Authorization: Bearer <token>`
 *
 * A webhook body is read as raw bytes (at most 1 MiB), its signature checked first, and only then
 * parsed; an unauthenticated call changes nothing and learns nothing about the sites. A site's own
 * hook answers every refusal alike (no such site, no webhook configured, its Secret unreadable, a
 * wrong signature), so a caller cannot tell which sites exist in namespaces not its own.
 */
import type { FastifyPluginAsync } from 'fastify'
import {
  deliveryScheme,
  FORGES,
  type Forge,
  parsePush,
  type SiteRef,
  sitesForPush,
  verifySignature,
} from './webhook.js'

export const MAX_WEBHOOK_BYTES = 1024 * 1024

export interface SyncTarget {
  /** Every site, for matching pushes. */
  sites(): Iterable<SiteRef>
  /** Queues a sync of the site keyed `namespace/name`; false when there is no such site. */
  trigger(key: string): boolean
  /**
   * The webhook secret of the site keyed `namespace/name`; undefined when it has none or it is
   * unreadable. Only the cluster syncer has sites' own hooks (their secrets are Kubernetes Secrets).
   */
  webhookSecret?(key: string): Promise<string | undefined>
}

export interface HttpApiOptions {
  readonly target: SyncTarget
  /** Webhook secret per forge; a forge without one answers 404. */
  readonly webhookSecrets: Readonly<Partial<Record<Forge, string>>>
  /** Bearer token for `POST /sync`; without one the route answers 404. */
  readonly syncToken?: string
}

const NO_BODY = Buffer.alloc(0)
const rawBody = (body: unknown) => (Buffer.isBuffer(body) ? body : NO_BODY)

export const syncerHttpApi: FastifyPluginAsync<HttpApiOptions> = async (
  app,
  { target, webhookSecrets, syncToken },
) => {
  // Raw bytes for every content type: the signature covers the body exactly as sent.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_WEBHOOK_BYTES }, (_request, body, done) =>
    done(null, body),
  )

  app.post<{ Params: { forge: string } }>(
    '/webhooks/:forge',
    { bodyLimit: MAX_WEBHOOK_BYTES },
    async (request, reply) => {
      const forge = request.params.forge as Forge
      const secret = FORGES.includes(forge) ? webhookSecrets[forge] : undefined
      if (!secret)
        return reply.code(404).send({ error: `no webhook secret is configured for ${request.params.forge}` })
      const body = rawBody(request.body)
      if (!verifySignature(forge, request.headers, body, secret))
        return reply.code(401).send({ error: 'missing or invalid webhook signature' })
      let payload: unknown
      try {
        payload = JSON.parse(body.toString('utf8'))
      } catch {
        return reply
          .code(400)
          .send({ error: 'the body is not JSON; configure the webhook with content type application/json' })
      }
      const push = parsePush(forge, request.headers, payload)
      if (!push) return reply.code(202).send({ ignored: 'not a push event', sites: 0 })
      const matched = sitesForPush(push, target.sites())
      for (const site of matched) target.trigger(site.key)
      request.log.info({ forge, repos: push.repos, ref: push.ref, sites: matched.length }, 'push webhook')
      return reply.code(202).send({ sites: matched.length })
    },
  )

  app.post<{ Params: { namespace: string; name: string } }>(
    '/hooks/sites/:namespace/:name',
    { bodyLimit: MAX_WEBHOOK_BYTES },
    async (request, reply) => {
      const { namespace, name } = request.params
      const key = `${namespace}/${name}`
      const scheme = deliveryScheme(request.headers)
      const secret = scheme ? await target.webhookSecret?.(key) : undefined
      if (
        !scheme ||
        secret === undefined ||
        !verifySignature(scheme, request.headers, rawBody(request.body), secret)
      )
        return reply.code(401).send({
          error: 'missing or invalid webhook signature, or no site with a webhook at this URL',
        })
      target.trigger(key)
      request.log.info({ site: key, scheme }, 'site webhook')
      return reply.code(202).send({ queued: key })
    },
  )

  app.post<{ Params: { namespace: string; name: string } }>(
    '/sync/:namespace/:name',
    async (request, reply) => {
      if (!syncToken)
        return reply.code(404).send({ error: 'manual sync is not enabled (no sync token configured)' })
      if (!verifySignature('generic', request.headers, NO_BODY, syncToken))
        return reply.code(401).send({ error: 'missing or invalid bearer token' })
      const { namespace, name } = request.params
      if (!target.trigger(`${namespace}/${name}`))
        return reply.code(404).send({ error: `no StaticSite ${name} in namespace ${namespace}` })
      return reply.code(202).send({ queued: `${namespace}/${name}` })
    },
  )
}
