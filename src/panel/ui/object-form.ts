/**
 * The page around a create-or-edit form of a customer's object (a StaticSite, a Webspace): the
 * refusals no field holds above the form, the name when creating (fixed once made), the
 * resourceVersion when editing (so a change made meanwhile is refused, not overwritten), the
 * object's own fields, and Save or Cancel. Pure.
 */
import { customerPage, type Section, type Viewer } from './frame.js'
import type { StaticSiteSpec } from '../../api/staticsite.js'
import { type FormErrors, type FormValues, inputField, postForm, selectField, trimmed } from './form.js'
import { html, type Interpolation, pathOf } from './html.js'

/** What a kind's form page is given: the object when editing, the values, the refusal. */
export interface FormInput<Edited> {
  /** The object being edited; creating without one. */
  readonly editing?: Edited
  readonly values: FormValues
  readonly errors?: FormErrors
}

export interface ObjectFormProps {
  readonly section: Section
  /** The kind in words, e.g. `static site`. */
  readonly noun: string
  /** The collection's path, e.g. `/sites`: a new object is posted there, an edit to its own path. */
  readonly collection: string
  readonly editing?: { readonly name: string; readonly resourceVersion: string }
  readonly values: FormValues
  readonly errors: FormErrors
  readonly name: { readonly maxlength: number; readonly help: string }
  /** The object's own fields. */
  readonly fields: Interpolation
}

export function objectFormPage(viewer: Viewer, props: ObjectFormProps) {
  const { section, noun, collection, editing, values, errors, name, fields } = props
  const target = editing ? `${collection}${pathOf(editing.name)}` : collection
  const refused = Object.keys(errors.fields).length > 0 || errors.general.length > 0
  const form = postForm({
    action: target,
    csrf: viewer.csrfToken,
    errors,
    fields: html`${
      editing
        ? html`<input type="hidden" name="resourceVersion" value="${editing.resourceVersion}" />`
        : inputField({
            errors,
            name: 'name',
            label: 'Name',
            value: values.name,
            required: true,
            maxlength: name.maxlength,
            autocomplete: 'off',
            help: `${name.help} It cannot change later.`,
          })
    }
    ${fields}`,
    button: editing ? 'Save' : `Create ${noun}`,
    beside: html`<a href="${editing ? target : collection}">Cancel</a>`,
  })
  return customerPage(viewer, {
    title: editing ? `Edit ${editing.name}` : `New ${noun}`,
    section,
    ...(refused ? { notice: { kind: 'problem', text: 'Not saved: see what to change below.' } } : {}),
    body: form,
  })
}

type Tls = StaticSiteSpec['tls']

/** The domains field of a site or webspace: one domain per line. */
export const domainsField = (errors: FormErrors, value: string | undefined, help: string) =>
  inputField({ errors, name: 'domains', label: 'Domains', value, multiline: true, help })

/** The certificate field; a Secret named by `current` is offered only to the object that uses one. */
export const tlsField = (errors: FormErrors, value: string | undefined, current?: Tls) =>
  selectField({
    errors,
    name: 'tls',
    label: 'Certificate',
    value: value ?? 'auto',
    options: [
      ['auto', 'a certificate from the cluster (Let’s Encrypt)'],
      ['none', 'none: HTTP only'],
      ...(current?.mode === 'secret'
        ? [['secret', `the TLS Secret ${current.secretName ?? ''}`] as const]
        : []),
    ],
  })

/** The TLS settings the form asks for: the old ones (issuer, Secret) while the mode stays. */
export function tlsOf(value: string | undefined, base?: Tls): Tls {
  const mode = trimmed(value) || 'auto'
  return base?.mode === mode ? base : ({ mode } as Tls)
}
