/**
 * The API token page: the tokens, making one (its answer is the one page that shows the token: a
 * page, not a redirect, so the token is in no URL and no session) and revoking one.
 */
import { Value } from '@sinclair/typebox/value'
import type { FastifyInstance } from 'fastify'
import { PanelError } from '../errors.js'
import { fieldPath } from '../request-errors.js'
import { CreateToken, TokenParams } from '../schemas.js'
import { confirmPage } from './confirm-page.js'
import { formErrors, formOf, trimmed } from './form.js'
import { pathOf } from './html.js'
import { noticeOf, withNotice } from './notices.js'
import { sendPage } from './page.js'
import { type PageRoutes, seeOther } from './routes.js'
import { tokensPage } from './tokens-page.js'

type Token = { Params: { id: string } }
const token = { schema: { params: TokenParams } }

export function tokenRoutes(app: FastifyInstance, { of, requireCsrf }: PageRoutes): void {
  app.get<{ Querystring: { done?: string } }>('/tokens', async (request, reply) => {
    const { viewer, customer } = of(request)
    return sendPage(
      reply,
      tokensPage(viewer, { tokens: await customer.listTokens(), notice: noticeOf(request.query.done) }),
    )
  })

  app.post('/tokens', { preHandler: requireCsrf }, async (request, reply) => {
    const { viewer, customer } = of(request)
    const form = formOf(request.body)
    const body = { description: trimmed(form.description) }
    // The API's own schema for this request: the page refuses what POST /api/v1/tokens refuses.
    const problems = [...Value.Errors(CreateToken, body)].map((e) => ({
      field: fieldPath(e.path),
      message: e.message,
    }))
    if (problems.length > 0) {
      const errors = formErrors(
        new PanelError('HP_ERR_PANEL_INVALID', undefined, problems),
        ['description'],
        'create',
      )
      return sendPage(
        reply,
        tokensPage(viewer, { tokens: await customer.listTokens(), values: form, errors }),
        422,
      )
    }
    const created = await customer.createToken(body.description)
    request.log.info(
      { token: created.record.id, customer: customer.customer },
      'API token created in the panel',
    )
    return sendPage(reply, tokensPage(viewer, { tokens: await customer.listTokens(), created }))
  })

  app.get<Token>('/tokens/:id/revoke', token, async (request, reply) => {
    const { viewer, customer } = of(request)
    const { id } = request.params
    const record = (await customer.listTokens()).find((t) => t.id === id)
    if (!record) throw new PanelError('HP_ERR_PANEL_NOT_FOUND')
    return sendPage(
      reply,
      confirmPage(viewer, {
        title: 'Revoke this token?',
        section: 'tokens',
        consequence: `Requests with the token for “${record.description}” are refused from now on; a script that uses it stops working.`,
        action: pathOf('tokens', id, 'revoke'),
        button: 'Revoke token',
        cancel: '/tokens',
      }),
    )
  })

  app.post<Token>('/tokens/:id/revoke', { ...token, preHandler: requireCsrf }, async (request, reply) => {
    await of(request).customer.revokeToken(request.params.id)
    return seeOther(reply, withNotice('/tokens', 'token-revoked'))
  })
}
