/**
 * The audit log as a file an auditor takes away, pure: JSON lines (one entry each, as the API
 * answers it) or CSV (RFC 4180, CRLF). Every CSV cell that a spreadsheet would read as a formula
 * (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`, as OWASP
 * advises, because names and emails in the log come from customers and identity providers.
 */
import type { AuditEntry } from './entry.js'

export const AUDIT_EXPORT_FORMATS = ['jsonl', 'csv'] as const
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number]

/** Each format's media type; the files are UTF-8. */
export const EXPORT_MEDIA_TYPE: Record<AuditExportFormat, string> = {
  jsonl: 'application/jsonl',
  csv: 'text/csv',
}

export const toJsonLines = (entries: readonly AuditEntry[]): string =>
  entries.map((entry) => `${JSON.stringify(entry)}\n`).join('')

export const CSV_COLUMNS = [
  'time',
  'id',
  'actor',
  'actor_email',
  'admin',
  'acting_as',
  'action',
  'kind',
  'namespace',
  'name',
  'outcome',
  'code',
  'detail',
] as const

/** One cell: formula-looking text defused, then quoted when it holds a quote, comma or line break. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

const row = (entry: AuditEntry): string[] => [
  entry.time,
  entry.id,
  entry.actor.id,
  entry.actor.email ?? '',
  String(entry.actor.admin),
  entry.actingAs ?? '',
  entry.action,
  entry.object?.kind ?? '',
  entry.object?.namespace ?? '',
  entry.object?.name ?? '',
  entry.outcome,
  entry.code ?? '',
  Object.entries(entry.detail ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(' '),
]

export const toCsv = (entries: readonly AuditEntry[]): string =>
  [CSV_COLUMNS, ...entries.map(row)].map((cells) => `${cells.map(csvCell).join(',')}\r\n`).join('')
