/**
 * Searching the audit log, pure: the filters an admin gives, newest entries first, and paging by
 * cursor (the id of the last entry of the previous page, which sorts by time), so that entries
 * written meanwhile never shift a page.
 */
import { type Static, Type } from '@sinclair/typebox'
import { AUDIT_ID_PATTERN, AuditActionSchema, type AuditEntry, AuditOutcomeSchema } from './entry.js'

export const AuditFilters = {
  actor: Type.Optional(
    Type.String({
      maxLength: 320,
      description: 'The actor’s id (`oidc:<subject>`, `token:<id>`, `kubernetes:<user>`) or email, exactly.',
    }),
  ),
  customer: Type.Optional(
    Type.String({
      maxLength: 63,
      description: 'Entries acting as this customer, and changes of its Customer object.',
    }),
  ),
  action: Type.Optional(AuditActionSchema),
  outcome: Type.Optional(AuditOutcomeSchema),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'At or after this time.' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Before this time.' })),
}

export const AuditQuery = Type.Object({
  ...AuditFilters,
  cursor: Type.Optional(
    Type.String({ pattern: AUDIT_ID_PATTERN, description: 'The `next` of the previous page.' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
})

export type AuditQuery = Static<typeof AuditQuery>

const at = (time: string | undefined) => (time === undefined ? undefined : Date.parse(time))

/** The query's filters as one test of an entry. */
export function auditFilter(query: AuditQuery): (entry: AuditEntry) => boolean {
  const since = at(query.since)
  const until = at(query.until)
  return (entry) => {
    const time = Date.parse(entry.time)
    return (
      (query.actor === undefined || entry.actor.id === query.actor || entry.actor.email === query.actor) &&
      (query.customer === undefined ||
        entry.actingAs === query.customer ||
        (entry.object?.kind === 'Customer' && entry.object.name === query.customer)) &&
      (query.action === undefined || entry.action === query.action) &&
      (query.outcome === undefined || entry.outcome === query.outcome) &&
      (since === undefined || time >= since) &&
      (until === undefined || time < until)
    )
  }
}

/** Every entry the filters select, newest first. */
export const selectEntries = (entries: readonly AuditEntry[], query: AuditQuery): AuditEntry[] =>
  entries.filter(auditFilter(query)).sort((a, b) => b.id.localeCompare(a.id))

export interface AuditPage {
  readonly items: AuditEntry[]
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  readonly next?: string
}

export function auditPage(entries: readonly AuditEntry[], query: AuditQuery): AuditPage {
  const { cursor, limit = 100 } = query
  const selected = selectEntries(entries, query)
  const from = cursor === undefined ? selected : selected.filter((entry) => entry.id < cursor)
  const items = from.slice(0, limit)
  const last = items.at(-1)
  return from.length > limit && last ? { items, next: last.id } : { items }
}
