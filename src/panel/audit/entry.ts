/**
 * One audit log entry, as the log stores it and the admin API answers it: when, who (the
 * signed-in actor), as which customer, what was done to which object, and how it ended. Changes
 * are recorded, and the one read that hands out a customer's data in bulk: a backup's download. An entry
 * never holds a secret: no token, no password, no key material, only names, ids and the few spec
 * values an auditor asks about (a tier, a commit). Written once with TypeBox: the segments are
 * checked against it when read, and the API documents it.
 */
import { type Static, Type } from '@sinclair/typebox'
import { ActorView } from '../schemas.js'

export const AUDIT_ACTIONS = [
  'sign-in',
  'sign-out',
  'act-as.start',
  'act-as.stop',
  'customer.create',
  'customer.update',
  'staticsite.create',
  'staticsite.update',
  'staticsite.delete',
  'staticsite.sync',
  'staticsite.rollback',
  'webspace.create',
  'webspace.update',
  'webspace.delete',
  'webspace.rollback',
  'sshkey.create',
  'sshkey.delete',
  'token.create',
  'token.revoke',
  'backup.download',
] as const

export type AuditAction = (typeof AUDIT_ACTIONS)[number]

/**
 * `unknown`: the attempt was recorded, its outcome was not (the outcome's write failed, or the
 * panel stopped in between). `failed`: the panel or the API server failed (a 5xx).
 */
export const AUDIT_OUTCOMES = ['ok', 'refused', 'failed', 'unknown'] as const
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number]

const enumOf = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) })

export const AuditActionSchema = enumOf(AUDIT_ACTIONS)
export const AuditOutcomeSchema = enumOf(
  AUDIT_OUTCOMES,
  '`unknown`: the attempt is recorded but its outcome could not be (see docs/panel.md).',
)

/** Time-ordered: `<13 digits of milliseconds since 1970>-<8 hex>`. */
export const AUDIT_ID_PATTERN = '^[0-9]{13}-[0-9a-f]{8}$'

export const AuditObject = Type.Object({
  kind: Type.String(),
  namespace: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
})

export const AuditEntry = Type.Object(
  {
    id: Type.String({ pattern: AUDIT_ID_PATTERN }),
    time: Type.String({ format: 'date-time' }),
    actor: ActorView,
    actingAs: Type.Optional(Type.String({ description: 'The customer the actor acted as.' })),
    action: AuditActionSchema,
    object: Type.Optional(AuditObject),
    detail: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'What changed, where an auditor asks (a tier, a commit); never a secret.',
      }),
    ),
    outcome: AuditOutcomeSchema,
    code: Type.Optional(Type.String({ description: 'The error code of a refused or failed change.' })),
  },
  { title: 'AuditEntry' },
)

export type AuditObject = Static<typeof AuditObject>
export type AuditEntry = Static<typeof AuditEntry>

/** How a change ended, as its outcome line records it. */
export interface AuditResult {
  readonly outcome: Exclude<AuditOutcome, 'unknown'>
  readonly code?: string
  /** The object's name when only the change made it (a token's id). */
  readonly name?: string
}
