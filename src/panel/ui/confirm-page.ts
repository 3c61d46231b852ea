/**
 * The question before a change that cannot be undone (delete a site, revoke a token): a page of
 * its own with the consequence in words, the button that does it and a way back, so it needs no
 * script and a stray click or Enter deletes nothing. Pure.
 */
import { actionButton } from './components.js'
import { customerPage, type Section, type Viewer } from './frame.js'
import { html } from './html.js'

export interface Confirmation {
  readonly title: string
  readonly section: Section
  /** What happens, in a sentence. */
  readonly consequence: string
  readonly action: string
  readonly button: string
  readonly cancel: string
}

export const confirmPage = (
  viewer: Viewer,
  { title, section, consequence, action, button, cancel }: Confirmation,
) =>
  customerPage(viewer, {
    title,
    section,
    body: html`<p>${consequence}</p>
      <div class="actions">
        ${actionButton({ action, csrf: viewer.csrfToken, label: button, look: 'danger' })}
        <a href="${cancel}">Cancel</a>
      </div>`,
  })
