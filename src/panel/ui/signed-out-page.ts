/**
 * What the sign-out form answers: the panel's session has ended, and a link on to the identity
 * provider's own sign-out. A link, not a redirect: the pages' CSP lets forms reach the panel only
 * (form-action 'self'), and the browser holds a form's redirects to that too. Pure.
 */
import { html, href } from './html.js'
import { page } from './page.js'
import { PANEL_NAME } from './frame.js'

/** `providerSignOut`: the provider's end-session URL, when it offers one. */
export const signedOutPage = (signInPath: string, providerSignOut?: string) =>
  page({
    title: 'Signed out',
    site: PANEL_NAME,
    notice: { kind: 'ok', text: 'You are signed out of the panel.' },
    body: html`${
        providerSignOut &&
        html`<p>
          Your identity provider may still know you on this browser:
          <a href="${href(providerSignOut)}">sign out there too</a>.
        </p>`
      }
      <p><a href="${signInPath}">Sign in again</a></p>`,
  })
