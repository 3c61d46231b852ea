/**
 * The customer's API tokens for automation: each by what it is for and when it was made (never
 * the token itself: only its hash is kept), a way to revoke it, the form that makes one, and the
 * new token, shown on the page that answers the form and never again. Pure.
 */
import type { TokenRecord } from '../tokens/token-store.js'
import { dataTable, screenReaderOnly, when } from './components.js'
import { customerPage, type Viewer } from './frame.js'
import { type FormErrors, type FormValues, inputField, NO_ERRORS, postForm } from './form.js'
import { html, pathOf } from './html.js'
import type { PageProps } from './page.js'

export interface TokensProps {
  readonly tokens: readonly TokenRecord[]
  readonly notice?: PageProps['notice']
  /** A token just made: the only time it is shown. */
  readonly created?: { readonly token: string; readonly record: TokenRecord }
  readonly values?: FormValues
  readonly errors?: FormErrors
}

export function tokensPage(viewer: Viewer, props: TokensProps) {
  const { tokens, notice, created, values = {}, errors = NO_ERRORS } = props
  const refused = Object.keys(errors.fields).length > 0 || errors.general.length > 0
  const shown =
    created &&
    html`<h2 id="new-token">Your new token</h2>
      <p>Copy it now: it is shown this once. Send it as <code>Authorization: Bearer …</code>.</p>
      <label for="token">Token for “${created.record.description}”</label>
      <input
        id="token"
        class="secret"
        readonly
        value="${created.token}"
        autocomplete="off"
        spellcheck="false"
      />`
  const list = html`<h2 id="tokens">Your tokens</h2>
    ${
      tokens.length === 0
        ? html`<p>No API tokens yet. A token lets a script use the panel’s API as you.</p>`
        : dataTable(
            tokens,
            [
              { header: 'For', cell: (token) => token.description },
              { header: 'Created', cell: (token) => when(token.createdAt) },
              {
                header: 'Action',
                cell: (token) =>
                  html`<a href="${pathOf('tokens', token.id, 'revoke')}"
                    >Revoke${screenReaderOnly(`the token for ${token.description}`)}…</a
                  >`,
              },
            ],
            'tokens',
          )
    }`
  const form = html`<h2 id="create">Create a token</h2>
    ${postForm({
      action: '/tokens',
      csrf: viewer.csrfToken,
      errors,
      fields: inputField({
        errors,
        name: 'description',
        label: 'What it is for',
        value: values.description,
        required: true,
        maxlength: 200,
        autocomplete: 'off',
        help: 'E.g. “deploys from CI”: the list shows it, so you know which to revoke.',
      }),
      button: 'Create token',
    })}`
  return customerPage(viewer, {
    title: 'API tokens',
    section: 'tokens',
    ...(refused
      ? { notice: { kind: 'problem', text: 'Not created: see what to change below.' } }
      : created
        ? { notice: { kind: 'ok', text: 'Token created: copy it below, it is not shown again.' } }
        : notice
          ? { notice }
          : {}),
    body: [shown, list, form],
  })
}
