/** Audit entries for the audit log's unit tests: `entry(at(1), by('root'), doing('sign-in'))`. */
import type { AuditEntry } from './entry.js'

type Change = (entry: AuditEntry) => AuditEntry

/** An entry made at second `second` of 2026-12-06 12:00 UTC. */
export function entry(second: number, ...changes: Change[]): AuditEntry {
  const ms = Date.UTC(2026, 11, 6, 12, 0, second)
  const base: AuditEntry = {
    id: `${String(ms).padStart(13, '0')}-${second.toString(16).padStart(8, '0')}`,
    time: new Date(ms).toISOString(),
    actor: { id: 'token:0123456789abcdef', method: 'token', admin: false, customer: 'acme' },
    actingAs: 'acme',
    action: 'staticsite.create',
    object: { kind: 'StaticSite', namespace: 'sh-acme', name: 'docs' },
    outcome: 'ok',
  }
  return changes.reduce((e, change) => change(e), base)
}

export const byAdmin =
  (subject: string, actingAs?: string): Change =>
  (e) => {
    const changed: AuditEntry = {
      ...e,
      actor: { id: `oidc:${subject}`, method: 'oidc', admin: true, email: `${subject}@provider.test` },
    }
    if (actingAs === undefined) delete changed.actingAs
    else changed.actingAs = actingAs
    return changed
  }

export const doing =
  (action: AuditEntry['action'], object?: AuditEntry['object']): Change =>
  (e) => {
    const changed: AuditEntry = { ...e, action }
    if (object === undefined) delete changed.object
    else changed.object = object
    return changed
  }

export const ending =
  (outcome: AuditEntry['outcome'], code?: string): Change =>
  (e) => ({ ...e, outcome, ...(code !== undefined ? { code } : {}) })
