/**
 * The audit log's page for provider admins: the filters as a GET form (so a search is a link to
 * share), the entries newest first with who did what as whom and how it ended, a link to the
 * older ones, and the export links of the same search. `auditSearchOf` reads the page's query
 * leniently — an empty field is no filter, a value that is not one is said, not a 400. Pure.
 */
import { AUDIT_ACTIONS, AUDIT_ID_PATTERN, AUDIT_OUTCOMES, type AuditEntry } from '../audit/entry.js'
import { AUDIT_EXPORT_FORMATS } from '../audit/export.js'
import type { AuditPage, AuditQuery } from '../audit/query.js'
import { adminPage } from './admin-frame.js'
import { dataTable, when } from './components.js'
import { type FormValues, inputField, NO_ERRORS, selectField } from './form.js'
import type { Viewer } from './frame.js'
import { type Html, html } from './html.js'

export const AUDIT_PAGE_SIZE = 50
const FILTERS = ['actor', 'customer', 'action', 'outcome', 'since', 'until'] as const

export interface AuditSearch {
  /** The filters to search with: only the valid ones. */
  readonly query: AuditQuery
  /** The form's values as typed, to show again. */
  readonly values: FormValues
  /** What was not a valid filter, in words. */
  readonly problems: readonly string[]
}

const ID = new RegExp(AUDIT_ID_PATTERN)

/** The search a page's query string asks for. */
export function auditSearchOf(raw: unknown): AuditSearch {
  const given = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
  const text = (key: string) => {
    const value = given[key]
    return typeof value === 'string' ? value.trim() : ''
  }
  const values = Object.fromEntries(FILTERS.map((key) => [key, text(key)]))
  const problems: string[] = []
  const query: Record<string, string | number> = { limit: AUDIT_PAGE_SIZE }
  for (const key of ['actor', 'customer'] as const) if (values[key]) query[key] = values[key]
  const oneOf = (key: 'action' | 'outcome', allowed: readonly string[]) => {
    const value = values[key]
    if (!value) return
    if (allowed.includes(value)) query[key] = value
    else problems.push(`${key} ${value} is not one of ${allowed.join(', ')}`)
  }
  oneOf('action', AUDIT_ACTIONS)
  oneOf('outcome', AUDIT_OUTCOMES)
  for (const key of ['since', 'until'] as const) {
    const value = values[key]
    if (!value) continue
    const time = Date.parse(value)
    if (Number.isNaN(time)) problems.push(`${key} ${value} is not a time such as 2026-12-06T12:00:00Z`)
    else query[key] = new Date(time).toISOString()
  }
  const cursor = text('cursor')
  if (ID.test(cursor)) query.cursor = cursor
  return { query: query as AuditQuery, values, problems }
}

/** The query string of `query`'s filters, with `extra` after them. */
export function searchString(query: AuditQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams()
  for (const key of FILTERS) {
    const value = query[key]
    if (value !== undefined) params.set(key, value)
  }
  for (const [key, value] of Object.entries(extra)) params.set(key, value)
  return params.toString()
}

const objectText = ({ object }: AuditEntry) =>
  object
    ? [object.kind, [object.namespace, object.name].filter(Boolean).join('/')].filter(Boolean).join(' ')
    : ''

const outcomeWord = ({ outcome, code }: AuditEntry): Html => {
  const state = outcome === 'ok' ? 'ok' : outcome === 'unknown' ? 'pending' : 'problem'
  return html`<span class="word ${state}">${outcome}</span>${code && html`<br /><code>${code}</code>`}`
}

const actorText = ({ actor }: AuditEntry): Html =>
  html`${actor.email ?? actor.id}${actor.admin && html` <span class="muted">(admin)</span>`}`

export function auditPage(viewer: Viewer, search: AuditSearch, found: AuditPage): Html {
  const { query, values, problems } = search
  const any = [['', 'any']] as const
  return adminPage(viewer, {
    title: 'Audit log',
    section: 'audit',
    ...(problems.length > 0
      ? { notice: { kind: 'problem' as const, text: `Not searched by: ${problems.join('; ')}.` } }
      : {}),
    body: html`<form method="get" action="/admin/audit" class="filters">
        ${inputField({ name: 'actor', label: 'Actor', value: values.actor, errors: NO_ERRORS, help: 'An email, oidc:<subject>, token:<id> or kubernetes:<user>.' })}
        ${inputField({ name: 'customer', label: 'Customer', value: values.customer, errors: NO_ERRORS })}
        ${selectField({ name: 'action', label: 'Action', value: values.action, options: [...any, ...AUDIT_ACTIONS.map((a) => [a, a] as const)], errors: NO_ERRORS })}
        ${selectField({ name: 'outcome', label: 'Outcome', value: values.outcome, options: [...any, ...AUDIT_OUTCOMES.map((o) => [o, o] as const)], errors: NO_ERRORS })}
        ${inputField({ name: 'since', label: 'Since', value: values.since, errors: NO_ERRORS, placeholder: '2026-12-01T00:00:00Z' })}
        ${inputField({ name: 'until', label: 'Until', value: values.until, errors: NO_ERRORS, placeholder: '2026-12-31T00:00:00Z' })}
        <p class="actions"><button type="submit">Search</button> <a href="/admin/audit">Clear</a></p>
      </form>
      <p>
        Export this search:
        ${AUDIT_EXPORT_FORMATS.map(
          (format, i) =>
            html`${i > 0 && ', '}<a
                href="/api/v1/admin/audit/export?${searchString(query, { format })}"
                download
                >${format === 'csv' ? 'CSV' : 'JSON lines'}</a
              >`,
        )}
      </p>
      ${
        found.items.length === 0
          ? html`<p>No entries${query.cursor ? ' older than these' : ''} match.</p>`
          : dataTable(found.items, [
              { header: 'Time', cell: (e) => when(e.time) },
              { header: 'Actor', cell: actorText },
              { header: 'Acting as', cell: (e) => e.actingAs ?? '' },
              { header: 'Action', cell: (e) => e.action },
              { header: 'Object', cell: objectText },
              { header: 'Outcome', cell: outcomeWord },
            ])
      }
      ${found.next && html`<p><a href="/admin/audit?${searchString(query, { cursor: found.next })}">Older entries</a></p>`}`,
  })
}
