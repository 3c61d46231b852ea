/** The SSH key page: the keys, adding one and removing one (after a page that asks). */
import type { FastifyInstance } from 'fastify'
import { PanelError } from '../errors.js'
import { confirmPage } from './confirm-page.js'
import { formErrors, formOf, refusesForm, trimmed } from './form.js'
import { pathOf } from './html.js'
import { noticeOf, withNotice } from './notices.js'
import { type Named, named } from './object-routes.js'
import { sendPage } from './page.js'
import { type PageRoutes, seeOther } from './routes.js'
import { SSH_KEY_FIELDS, sshKeysPage } from './ssh-keys-page.js'

export function sshKeyRoutes(app: FastifyInstance, { of, requireCsrf }: PageRoutes): void {
  app.get<{ Querystring: { done?: string } }>('/ssh-keys', async (request, reply) => {
    const { viewer, customer } = of(request)
    const keys = await customer.listSshKeys()
    return sendPage(reply, sshKeysPage(viewer, { keys, notice: noticeOf(request.query.done) }))
  })

  app.post('/ssh-keys', { preHandler: requireCsrf }, async (request, reply) => {
    const { viewer, customer } = of(request)
    const form = formOf(request.body)
    try {
      const title = trimmed(form.title)
      await customer.createSshKey(trimmed(form.name), trimmed(form.publicKey), title || undefined)
    } catch (error) {
      if (!refusesForm(error)) throw error
      const errors = formErrors(error, SSH_KEY_FIELDS, 'create')
      const keys = await customer.listSshKeys()
      return sendPage(reply, sshKeysPage(viewer, { keys, values: form, errors }), 422)
    }
    return seeOther(reply, withNotice('/ssh-keys', 'key-added'))
  })

  app.get<Named>('/ssh-keys/:name/delete', named, async (request, reply) => {
    const { viewer, customer } = of(request)
    const { name } = request.params
    const key = (await customer.listSshKeys()).find((k) => k.name === name)
    if (!key) throw new PanelError('HP_ERR_PANEL_NOT_FOUND')
    return sendPage(
      reply,
      confirmPage(viewer, {
        title: `Remove the key ${name}?`,
        section: 'keys',
        consequence: `Pushes signed with ${key.title ?? name} (${key.fingerprint ?? 'not yet accepted'}) are refused from now on.`,
        action: pathOf('ssh-keys', name, 'delete'),
        button: 'Remove key',
        cancel: '/ssh-keys',
      }),
    )
  })

  app.post<Named>('/ssh-keys/:name/delete', { ...named, preHandler: requireCsrf }, async (request, reply) => {
    await of(request).customer.deleteSshKey(request.params.name)
    return seeOther(reply, withNotice('/ssh-keys', 'key-deleted'))
  })
}
