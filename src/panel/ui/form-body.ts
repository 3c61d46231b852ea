/**
 * HTML form posts (`application/x-www-form-urlencoded`) as a record of strings, for the context
 * given only: the JSON API of the same process keeps refusing them (415), so a cross-site form can
 * never reach it as a "simple" request. A context that reads forms already (it inherits a parser)
 * keeps its own.
 */
import type { FastifyInstance } from 'fastify'

const FORM = 'application/x-www-form-urlencoded'

export function acceptForms(app: FastifyInstance, bodyLimit: number): void {
  if (app.hasContentTypeParser(FORM)) return
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit }, (_request, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )
}
