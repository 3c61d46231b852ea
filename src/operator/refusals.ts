/**
 * A write the API server refused (src/kube/refusal.ts), as the condition a kind reports: the
 * refusal's reason, and a message that says what was refused and what to change. Pure.
 */
import { type Refusal, refusalMessage } from '../kube/refusal.js'

export interface RefusalCondition {
  readonly reason: string
  readonly message: string
}

export interface RefusalHints {
  /** The refused object's source as the message names it, e.g. `the webspace`. */
  readonly what: string
  /** What to change when a quota is full. */
  readonly quota: string
}

/** `quota`: the refusal is a quota's even when a policy reported it (the tier quota policy). */
export function refusalCondition(
  refusal: Refusal,
  { what, quota: quotaHint }: RefusalHints,
  quota = refusal.reason === 'QuotaExceeded',
): RefusalCondition {
  const hint = quota
    ? quotaHint
    : {
        QuotaExceeded: quotaHint,
        AdmissionDenied: `change ${what} as the message says`,
        ObjectInvalid: `change the field the message names; if ${what} does not set it, report an operator bug`,
        WriteForbidden: "the operator's RBAC does not allow this write: ask the platform operator",
      }[refusal.reason]
  return { reason: quota ? 'QuotaExceeded' : refusal.reason, message: refusalMessage(refusal, hint) }
}
