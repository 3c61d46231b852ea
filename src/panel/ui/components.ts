/**
 * The small pieces every panel page is built of (both panels'): a status in words, the CSRF field,
 * a one-button form, a commit and a time as people read them. Pure.
 */
import type { StatusWord } from '../status-words.js'
import { type Html, html, type Interpolation } from './html.js'

export const statusWord = ({ state, text }: StatusWord): Html =>
  html`<span class="word ${state}">${text}</span>`

/** The session's CSRF token, which every POST form of the panel sends back. */
export const csrfField = (token: string): Html => html`<input type="hidden" name="_csrf" value="${token}" />`

export interface ActionButton {
  readonly action: string
  readonly csrf: string
  readonly label: string
  /**
   * Said after the label to screen readers only, when the label alone is ambiguous in a list
   * ("Roll back" + " to 0123456789ab"): the accessible name starts with the visible label.
   */
  readonly which?: string
  /** Hidden fields sent with it. */
  readonly fields?: Readonly<Record<string, string>>
  readonly look?: 'secondary' | 'danger'
}

/** Text for screen readers only (the stylesheet's `.sr-only`). */
export const screenReaderOnly = (text: string | undefined): Html | false =>
  text !== undefined && html`<span class="sr-only"> ${text}</span>`

/** A form that is one button: a POST with the CSRF token and its hidden fields. */
export const actionButton = ({ action, csrf, label, which, fields = {}, look }: ActionButton): Html =>
  html`<form class="inline" method="post" action="${action}">
    ${csrfField(csrf)}${Object.entries(fields).map(
      ([field, value]) => html`<input type="hidden" name="${field}" value="${value}" />`,
    )}<button type="submit" ${look && html`class="${look}"`}>${label}${screenReaderOnly(which)}</button>
  </form>`

/** A commit id as people compare them: its first 12 characters. */
export const shortCommit = (commit: string | undefined): string => (commit ? commit.slice(0, 12) : '')

/** An RFC 3339 time as `2026-12-06 20:15 UTC`, machine-readable in `datetime`; `never` without one. */
export function when(time: string | undefined, never = 'never'): Html {
  if (!time) return html`<span class="muted">${never}</span>`
  const date = new Date(time)
  if (Number.isNaN(date.getTime())) return html`${time}`
  return html`<time datetime="${date.toISOString()}"
    >${date.toISOString().slice(0, 16).replace('T', ' ')} UTC</time
  >`
}

export interface Column<T> {
  readonly header: string
  readonly cell: (row: T) => Interpolation
}

/**
 * A table of `rows`, one column per `columns` entry; each cell carries its column's header in
 * `data-label`, which the stylesheet shows before it on a phone, where rows become blocks.
 */
export const dataTable = <T>(rows: readonly T[], columns: readonly Column<T>[], labelledBy?: string): Html =>
  html`<table ${labelledBy && html`aria-labelledby="${labelledBy}"`}>
    <thead>
      <tr>
        ${columns.map((column) => html`<th scope="col">${column.header}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            ${columns.map((column) => html`<td data-label="${column.header}">${column.cell(row)}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`
