/**
 * `POST /sites/{namespace}/{name}/ref` on the control listener of `hostplane serve`, with the sync
 * token: `{"ref": "<commit, branch or tag>"}` rewrites the site's file (site-ref.ts), reads the
 * sites directory again and answers with the site as its file now says. A kept revision's commit
 * publishes from the kept tree, without the network. The state of each site, revisions included,
 * is in `GET /status/sites`.
 */
import type { FastifyPluginAsync } from 'fastify'
import { verifySignature } from '../syncer/webhook.js'
import { SiteRefError } from './site-ref.js'

export interface SiteRefRoutesOptions {
  /** Bearer token, the sync token; without one the route answers 404. */
  readonly syncToken?: string
  /** Writes the site's ref and reads the sites again; rejects with a SiteRefError saying why not. */
  readonly setRef: (id: string, ref: string) => Promise<void>
}

export const siteRefRoutes: FastifyPluginAsync<SiteRefRoutesOptions> = async (app, options) => {
  app.post<{ Params: { namespace: string; name: string }; Body: { ref?: unknown } }>(
    '/sites/:namespace/:name/ref',
    { bodyLimit: 4096 },
    async (request, reply) => {
      const { syncToken } = options
      if (!syncToken)
        return reply.code(404).send({ error: 'changing a site is not enabled (no sync token configured)' })
      if (!verifySignature('generic', request.headers, Buffer.alloc(0), syncToken))
        return reply.code(401).send({ error: 'missing or invalid bearer token' })
      const id = `${request.params.namespace}/${request.params.name}`
      const ref = request.body?.ref
      if (typeof ref !== 'string' || ref.length === 0 || ref.length > 255)
        return reply.code(400).send({ error: 'send {"ref": "<commit, branch or tag>"} as JSON' })
      try {
        await options.setRef(id, ref)
      } catch (error) {
        if (error instanceof SiteRefError)
          return reply.code(error.missing ? 404 : 422).send({ error: error.message })
        throw error
      }
      request.log.info({ site: id, ref }, 'site ref changed')
      return { site: id, ref }
    },
  )
}
