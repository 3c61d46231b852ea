/**
 * The audit log's storage format, pure. The log is a numbered series of ConfigMaps (segments)
 * named `audit-<10-digit number>`; each holds JSON lines under one key, appended to until the
 * segment would pass its size, then the next number starts. A change writes two lines: its
 * attempt (the entry, outcome `unknown`) before it runs and its outcome after, so a change is
 * never made unrecorded; reading merges each outcome into its entry, in whichever segment either
 * landed. Lines that do not parse or match the schema are skipped and counted, never fatal: an
 * auditor still reads the rest.
 */
import {
  AUDIT_ACTIONS,
  AUDIT_ID_PATTERN,
  AUDIT_OUTCOMES,
  type AuditEntry,
  type AuditResult,
} from './entry.js'
import type { Actor } from '../identity.js'

export const SEGMENT_PREFIX = 'audit-'
export const SEGMENT_KEY = 'entries.jsonl'
export const SEGMENT_LABEL = 'hostplane.dev/panel-audit'

export type AuditLine = { readonly attempt: AuditEntry } | { readonly outcome: AuditResult & { id: string } }

const SEGMENT_NAME = /^audit-(\d{10})$/

export const segmentName = (number: number): string => {
  if (!Number.isSafeInteger(number) || number < 1 || number > 9_999_999_999)
    throw new Error(`no audit segment number ${number}`)
  return `${SEGMENT_PREFIX}${String(number).padStart(10, '0')}`
}

/** The segment's number, or undefined for a name that is not a segment's. */
export const segmentNumber = (name: string): number | undefined => {
  const digits = SEGMENT_NAME.exec(name)?.[1]
  return digits === undefined ? undefined : Number(digits)
}

export const encodeLines = (lines: readonly AuditLine[]): string =>
  lines.map((line) => `${JSON.stringify(line)}\n`).join('')

const ID = new RegExp(AUDIT_ID_PATTERN)
const RESULTS = new Set(['ok', 'refused', 'failed'])
const ACTIONS = new Set<string>(AUDIT_ACTIONS)
const OUTCOMES = new Set<string>(AUDIT_OUTCOMES)
const METHODS = new Set<unknown>(['token', 'oidc', 'kubernetes'] satisfies Actor['method'][])

type Fields = Record<string, unknown>
const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null
const optional = (value: unknown, type: 'string' | 'boolean') => value === undefined || typeof value === type
const isStringMap = (value: unknown) =>
  value === undefined || (isFields(value) && Object.values(value).every((v) => typeof v === 'string'))

/** Whether a stored line's attempt has the shape of entry.ts's AuditEntry (what the API promises). */
function isEntry(value: unknown): value is AuditEntry {
  if (!isFields(value)) return false
  const { id, time, actor, actingAs, action, object, detail, outcome, code } = value
  return (
    typeof id === 'string' &&
    ID.test(id) &&
    typeof time === 'string' &&
    !Number.isNaN(Date.parse(time)) &&
    isFields(actor) &&
    typeof actor.id === 'string' &&
    METHODS.has(actor.method) &&
    typeof actor.admin === 'boolean' &&
    optional(actor.email, 'string') &&
    optional(actor.customer, 'string') &&
    optional(actingAs, 'string') &&
    typeof action === 'string' &&
    ACTIONS.has(action) &&
    (object === undefined ||
      (isFields(object) &&
        typeof object.kind === 'string' &&
        optional(object.namespace, 'string') &&
        optional(object.name, 'string'))) &&
    isStringMap(detail) &&
    typeof outcome === 'string' &&
    OUTCOMES.has(outcome) &&
    optional(code, 'string')
  )
}

function outcomeOf(value: unknown): (AuditResult & { id: string }) | undefined {
  if (!isFields(value)) return undefined
  const { id, outcome, code, name } = value
  if (typeof id !== 'string' || !ID.test(id) || typeof outcome !== 'string' || !RESULTS.has(outcome))
    return undefined
  if ((code !== undefined && typeof code !== 'string') || (name !== undefined && typeof name !== 'string'))
    return undefined
  return {
    id,
    outcome: outcome as AuditResult['outcome'],
    ...(code !== undefined ? { code } : {}),
    ...(name !== undefined ? { name } : {}),
  }
}

export interface DecodedLog {
  /** Oldest first. */
  readonly entries: AuditEntry[]
  /** Lines skipped as unreadable. */
  readonly malformed: number
}

/** Every entry of the segments' texts (given in segment order), each with its outcome merged in. */
export function decodeSegments(texts: readonly string[]): DecodedLog {
  const entries = new Map<string, AuditEntry>()
  const outcomes: (AuditResult & { id: string })[] = []
  let malformed = 0
  for (const text of texts)
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue
      let line: unknown
      try {
        line = JSON.parse(raw)
      } catch {
        malformed++
        continue
      }
      const { attempt, outcome } = isFields(line) ? line : {}
      const result = outcomeOf(outcome)
      if (isEntry(attempt)) entries.set(attempt.id, attempt)
      else if (result) outcomes.push(result)
      else malformed++
    }
  for (const { id, outcome, code, name } of outcomes) {
    const entry = entries.get(id)
    // An outcome whose attempt was in a segment dropped by the bound has nothing left to complete.
    if (!entry) continue
    entries.set(id, {
      ...entry,
      outcome,
      ...(code !== undefined ? { code } : {}),
      ...(name !== undefined && entry.object ? { object: { ...entry.object, name } } : {}),
    })
  }
  return { entries: [...entries.values()].sort((a, b) => a.id.localeCompare(b.id)), malformed }
}
