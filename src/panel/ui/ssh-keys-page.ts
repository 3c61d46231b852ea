/**
 * The customer's SSH push keys: each with its title, fingerprint and whether the gitserver has
 * accepted it, a way to remove it, and the form that adds one, with the API server's refusals
 * next to its fields. Pure.
 */
import type { SshKeyView } from '../schemas.js'
import { dataTable, screenReaderOnly, statusWord } from './components.js'
import { customerPage, type Viewer } from './frame.js'
import { type FormErrors, type FormValues, inputField, NO_ERRORS, postForm } from './form.js'
import { html, pathOf } from './html.js'
import type { PageProps } from './page.js'

export const SSH_KEY_FIELDS = ['name', 'title', 'publicKey'] as const

export interface SshKeysProps {
  readonly keys: readonly SshKeyView[]
  readonly notice?: PageProps['notice']
  /** The add form as it was posted, when the API server refused it. */
  readonly values?: FormValues
  readonly errors?: FormErrors
}

export function sshKeysPage(viewer: Viewer, { keys, notice, values = {}, errors = NO_ERRORS }: SshKeysProps) {
  const refused = Object.keys(errors.fields).length > 0 || errors.general.length > 0
  const field = { errors }
  const list = html`<h2 id="keys">Your keys</h2>
    ${
      keys.length === 0
        ? html`<p>No SSH keys yet. Add one to push to your webspaces’ repositories.</p>`
        : dataTable(
            keys,
            [
              { header: 'Name', cell: (key) => key.name },
              { header: 'Title', cell: (key) => key.title ?? html`<span class="muted">none</span>` },
              { header: 'Fingerprint', cell: (key) => html`<code>${key.fingerprint ?? '…'}</code>` },
              { header: 'State', cell: (key) => statusWord(key.accepted) },
              {
                header: 'Action',
                cell: (key) =>
                  html`<a href="${pathOf('ssh-keys', key.name, 'delete')}"
                    >Remove${screenReaderOnly(`the key ${key.name}`)}…</a
                  >`,
              },
            ],
            'keys',
          )
    }`
  const add = html`<h2 id="add">Add a key</h2>
    ${postForm({
      action: '/ssh-keys',
      csrf: viewer.csrfToken,
      errors,
      fields: html` ${inputField({
        ...field,
        name: 'name',
        label: 'Name',
        value: values.name,
        required: true,
        maxlength: 253,
        autocomplete: 'off',
        help: 'Lower-case letters, digits and hyphens, e.g. laptop.',
      })}
      ${inputField({ ...field, name: 'title', label: 'Title', value: values.title, maxlength: 256, help: 'Optional: whose key it is.' })}
      ${inputField({
        ...field,
        name: 'publicKey',
        label: 'Public key',
        value: values.publicKey,
        required: true,
        multiline: true,
        help: html`The line of your <code>~/.ssh/id_ed25519.pub</code>, starting <code>ssh-ed25519</code>.`,
      })}`,
      button: 'Add key',
    })}`
  return customerPage(viewer, {
    title: 'SSH keys',
    section: 'keys',
    ...(refused
      ? { notice: { kind: 'problem', text: 'Not added: see what to change below.' } }
      : notice
        ? { notice }
        : {}),
    body: [list, add],
  })
}
