/**
 * The page around a create-or-edit form of a customer's object (a StaticSite, a Webspace): the
 * refusals no field holds above the form, the name when creating (fixed once made), the
 * resourceVersion when editing (so a change made meanwhile is refused, not overwritten), the
 * object's own fields, and Save or Cancel. Pure.
 */
import { csrfField } from './components.js'
import { customerPage, type Section, type Viewer } from './frame.js'
import { type FormErrors, type FormValues, generalErrors, inputField } from './form.js'
import { html, type Interpolation, pathOf } from './html.js'

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
  // novalidate: the API server judges every field, and its words are shown next to each.
  const form = html`${generalErrors(errors)}
    <form method="post" action="${target}" novalidate>
      ${csrfField(viewer.csrfToken)}
      ${
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
      ${fields}
      <div class="actions">
        <button type="submit">${editing ? 'Save' : `Create ${noun}`}</button>
        <a href="${editing ? target : collection}">Cancel</a>
      </div>
    </form>`
  return customerPage(viewer, {
    title: editing ? `Edit ${editing.name}` : `New ${noun}`,
    section,
    ...(refused ? { notice: { kind: 'problem', text: 'Not saved: see what to change below.' } } : {}),
    body: form,
  })
}
