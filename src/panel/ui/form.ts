/**
 * Form fields that show what the API server said about them: each field with its label, help and
 * errors (tied to it by aria-describedby and aria-invalid, so a screen reader reads them with the
 * field), and the rule that places a refusal's field problems on the form's fields — the API
 * server's name for a field (`spec.domains[1]`, `metadata.name`) maps to the form field that
 * holds it; whatever no field holds is said above the form. Pure.
 */
import { type FieldProblem, PanelError } from '../errors.js'
import { csrfField } from './components.js'
import { type Html, html, type Interpolation } from './html.js'

/** What a form posted, by field name. */
export type FormValues = Readonly<Record<string, string | undefined>>

export interface FormErrors {
  /** Messages by form field. */
  readonly fields: Readonly<Record<string, readonly string[]>>
  /** Messages no field of the form holds. */
  readonly general: readonly string[]
}

export const NO_ERRORS: FormErrors = { fields: {}, general: [] }

/** The form field an API field belongs to: `spec.tls.mode` → `tls`, `metadata.name` → `name`. */
export const formFieldOf = (apiField: string): string =>
  apiField.replace(/^(spec|metadata)\./, '').split(/[.[]/)[0] ?? ''

/** The API server repeats the value it refused (`Invalid value: "x": …`); the field shows it already. */
const withoutValue = (message: string) => message.replace(/^Invalid value: (?:"(?:[^"\\]|\\.)*"|[^:]*): /, '')

/** The refusals a form shows to be corrected; any other error is the page's (a 404, a 503). */
export const refusesForm = (error: unknown): error is PanelError =>
  error instanceof PanelError &&
  [
    'HP_ERR_PANEL_INVALID',
    'HP_ERR_PANEL_CONFLICT',
    'HP_ERR_PANEL_REFUSED',
    'HP_ERR_PANEL_BAD_REQUEST',
  ].includes(error.code)

/**
 * Places a refusal on a form with `fields`: its field problems on the fields that hold them, the
 * rest (and the message, when no problem has a field here) above the form. A conflict is the
 * name's when creating (an object of that name exists) and a change made meanwhile when editing.
 */
export function formErrors(
  error: PanelError,
  fields: readonly string[],
  mode: 'create' | 'edit',
): FormErrors {
  if (error.code === 'HP_ERR_PANEL_CONFLICT')
    return mode === 'create' && fields.includes('name')
      ? { fields: { name: ['this name is taken: pick another'] }, general: [] }
      : {
          fields: {},
          general: [
            'It was changed since you opened this form: open it again to see the change, then make yours.',
          ],
        }
  const placed: Record<string, string[]> = {}
  const general: string[] = []
  for (const problem of error.fields ?? ([] as readonly FieldProblem[])) {
    const field = formFieldOf(problem.field)
    const message = withoutValue(problem.message)
    if (fields.includes(field)) (placed[field] ??= []).push(message)
    else general.push(problem.field ? `${problem.field}: ${message}` : message)
  }
  if (Object.keys(placed).length === 0 && general.length === 0) general.push(error.message)
  return { fields: placed, general }
}

interface FieldBase {
  readonly name: string
  readonly label: string
  readonly errors: FormErrors
  readonly help?: string | Html
  readonly required?: boolean
}

export interface InputField extends FieldBase {
  readonly value?: string
  readonly type?: 'text' | 'url' | 'number'
  readonly maxlength?: number
  readonly placeholder?: string
  readonly autocomplete?: string
  readonly multiline?: boolean
}

export interface SelectField extends FieldBase {
  readonly value?: string
  readonly options: readonly (readonly [value: string, text: string])[]
}

const idOf = (name: string) => `field-${name}`

function describedBy(field: FieldBase): { readonly ids: string; readonly messages: Html } {
  const id = idOf(field.name)
  const errors = field.errors.fields[field.name] ?? []
  const ids = [field.help !== undefined && `${id}-help`, errors.length > 0 && `${id}-error`]
    .filter((x): x is string => typeof x === 'string')
    .join(' ')
  return {
    ids,
    messages: html`${field.help !== undefined && html`<p class="help" id="${id}-help">${field.help}</p>`}${
      errors.length > 0 &&
      html`<p class="field-error" id="${id}-error">
        ${errors.map((e, i) => html`${i > 0 && html`<br />`}${e}`)}
      </p>`
    }`,
  }
}

const invalid = (field: FieldBase) => (field.errors.fields[field.name]?.length ?? 0) > 0

export function inputField(field: InputField): Html {
  const { ids, messages } = describedBy(field)
  const attributes = html`id="${idOf(field.name)}" name="${field.name}" ${field.required && html`required`}
  ${field.maxlength !== undefined && html`maxlength="${field.maxlength}"`}
  ${field.placeholder !== undefined && html`placeholder="${field.placeholder}"`}
  ${field.autocomplete !== undefined && html`autocomplete="${field.autocomplete}"`}
  ${ids && html`aria-describedby="${ids}"`} ${invalid(field) && html`aria-invalid="true"`}`
  return html`<label for="${idOf(field.name)}">${field.label}</label> ${
      field.multiline
        ? html`<textarea ${attributes}>${field.value ?? ''}</textarea>`
        : html`<input type="${field.type ?? 'text'}" ${attributes} value="${field.value ?? ''}" />`
    }
    ${messages}`
}

export function selectField(field: SelectField): Html {
  const { ids, messages } = describedBy(field)
  return html`<label for="${idOf(field.name)}">${field.label}</label>
    <select
      id="${idOf(field.name)}"
      name="${field.name}"
      ${ids && html`aria-describedby="${ids}"`}
      ${invalid(field) && html`aria-invalid="true"`}
    >
      ${field.options.map(
        ([value, text]) =>
          html`<option value="${value}" ${value === field.value && html`selected`}>${text}</option>`,
      )}
    </select>
    ${messages}`
}

/** The problems no field holds, above the form, announced when the page loads. */
export const generalErrors = (errors: FormErrors): Html | false =>
  errors.general.length > 0 &&
  html`<div class="notice problem" role="alert">
    <p>The API server refused this:</p>
    <ul>
      ${errors.general.map((message) => html`<li>${message}</li>`)}
    </ul>
  </div>`

/** A field's value without surrounding blanks; '' when it was not sent. */
export const trimmed = (value: string | undefined): string => (value ?? '').trim()

/** A list field: one entry per line or separated by commas or spaces, empty entries dropped. */
export const listOf = (value: string | undefined): string[] =>
  trimmed(value)
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')

/** A posted body as form values: its string fields, nothing else (a JSON body may hold anything). */
export const formOf = (body: unknown): FormValues =>
  typeof body === 'object' && body !== null
    ? Object.fromEntries(
        Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      )
    : {}

export interface PostForm {
  readonly action: string
  readonly csrf: string
  readonly errors: FormErrors
  readonly fields: Interpolation
  readonly button: string
  /** Beside the button, e.g. a Cancel link. */
  readonly beside?: Interpolation
}

/**
 * A form the API server judges: the refusals no field holds above it, its fields, the CSRF token
 * and the button. `novalidate`: the browser does not judge first, so every message is the API's.
 */
export const postForm = ({ action, csrf, errors, fields, button, beside }: PostForm): Html =>
  html`${generalErrors(errors)}
    <form method="post" action="${action}" novalidate>
      ${csrfField(csrf)} ${fields}
      <div class="actions"><button type="submit">${button}</button> ${beside}</div>
    </form>`
