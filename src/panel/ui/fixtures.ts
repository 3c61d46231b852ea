/** What the page tests render for: a customer's signed-in viewer. */
import type { Viewer } from './frame.js'

export const customerViewer: Viewer = {
  identity: {
    actor: { id: 'oidc:a', method: 'oidc', subject: 'a', admin: false, email: 'a@x.test' },
    actingAs: 'acme',
  },
  csrfToken: 'csrf-1',
  signOutPath: '/auth/logout',
}
