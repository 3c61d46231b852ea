/**
 * Writes the API server refuses for a reason a retry does not fix: a ResourceQuota is full, an
 * admission policy or webhook denies the object, the object is invalid, or the operator's RBAC
 * does not allow the write. Such a refusal is the user's (or the platform operator's) to act on:
 * controllers report it in a condition and retry slowly (refusal-backoff.ts) instead of failing
 * hot. Everything else (a conflict, a timeout, a 5xx, a quota whose usage is not yet counted)
 * stays an ordinary error for the work queue's fast retry. Classified from the Status object the
 * API server answers with; pure.
 */
import { KubeApiError } from './rest.js'

export type RefusalReason = 'QuotaExceeded' | 'AdmissionDenied' | 'ObjectInvalid' | 'WriteForbidden'

export interface Refusal {
  readonly reason: RefusalReason
  /** The refused object as a user names it: `PersistentVolumeClaim data`. */
  readonly object: string
  /** What the API server refused, e.g. `exceeded quota requests.storage: requested 10Gi, used 0, limited 5Gi`. */
  readonly detail: string
  /** QuotaExceeded: the quota's resources that would be exceeded, e.g. `requests.storage`. */
  readonly resources: readonly string[]
  /** AdmissionDenied: the ValidatingAdmissionPolicy or webhook that denied the write. */
  readonly admission?: string
}

/** A write the API server refused, with the refusal classified; `cause` is the KubeApiError. */
export class WriteRefused extends Error {
  override name = 'WriteRefused'
  constructor(
    readonly refusal: Refusal,
    options: { readonly cause: KubeApiError },
  ) {
    super(`${refusal.object}: ${refusal.detail} (${refusal.reason})`, options)
  }
}

/** The classified refusal carried by `error`, if it is one. */
export const refusalOf = (error: unknown): Refusal | undefined =>
  error instanceof WriteRefused ? error.refusal : undefined

/** `kind=value,kind=value` as the quota admission plugin prints a resource list. */
function resourceList(text: string): Map<string, string> {
  const list = new Map<string, string>()
  for (const item of text.split(',')) {
    const [resource = '', value = ''] = item.split('=')
    if (resource) list.set(resource.trim(), value.trim())
  }
  return list
}

const QUOTA_EXCEEDED = /exceeded quota: [^,]+, requested: (.*), used: (.*), limited: (.*)$/
const QUOTA_FAILED = /failed quota: [^:]+: (.*)$/
const POLICY_DENIED = /ValidatingAdmissionPolicy '([^']+)' with binding '[^']*' denied request: (.*)$/s
const WEBHOOK_DENIED = /admission webhook "([^"]+)" denied the request:? ?(.*)$/s
const RBAC_DENIED = /(User "[^"]*" cannot .*)$/s
const INVALID = / is invalid: (.*)$/s

type Rule = (message: string, error: KubeApiError) => Omit<Refusal, 'object'> | undefined

/** First match wins: a policy's denial may quote words such as "invalid" or "quota". */
const RULES: readonly Rule[] = [
  (message) => {
    const match = QUOTA_EXCEEDED.exec(message)
    if (!match) return undefined
    const [requested, used, limited] = [match[1], match[2], match[3]].map((m) => resourceList(m ?? ''))
    const resources = [...(limited ?? new Map<string, string>()).keys()]
    const each = resources.map(
      (r) =>
        `${r}: requested ${requested?.get(r) ?? '?'}, used ${used?.get(r) ?? '0'}, limited ${limited?.get(r) ?? '?'}`,
    )
    return { reason: 'QuotaExceeded', detail: `exceeded quota ${each.join('; ')}`, resources }
  },
  (message) => {
    const match = QUOTA_FAILED.exec(message)
    return match ? { reason: 'QuotaExceeded', detail: `quota: ${match[1] ?? ''}`, resources: [] } : undefined
  },
  (message) => {
    const match = POLICY_DENIED.exec(message)
    if (!match) return undefined
    const [, policy = '', said = ''] = match
    return {
      reason: 'AdmissionDenied',
      detail: `denied by ${policy}: ${said}`,
      resources: [],
      admission: policy,
    }
  },
  (message) => {
    const match = WEBHOOK_DENIED.exec(message)
    if (!match) return undefined
    const [, webhook = '', said = ''] = match
    const detail = `denied by webhook ${webhook}${said ? `: ${said}` : ''}`
    return { reason: 'AdmissionDenied', detail, resources: [], admission: webhook }
  },
  (message, error) => {
    const match = error.status === 403 ? RBAC_DENIED.exec(message) : null
    return match
      ? { reason: 'WriteForbidden', detail: `forbidden: ${match[1] ?? ''}`, resources: [] }
      : undefined
  },
  (message, error) => {
    if (error.status !== 422 && !(error.status === 400 && error.reason === 'BadRequest')) return undefined
    return {
      reason: 'ObjectInvalid',
      detail: `invalid: ${INVALID.exec(message)?.[1] ?? message}`,
      resources: [],
    }
  },
]

/**
 * The refusal `error` reports for `object` (e.g. `PersistentVolumeClaim data`), or undefined when
 * it is not one a user must act on.
 */
export function classifyRefusal(error: unknown, object: string): Refusal | undefined {
  if (!(error instanceof KubeApiError)) return undefined
  for (const rule of RULES) {
    const found = rule(error.statusMessage, error)
    if (found) return { ...found, object }
  }
  return undefined
}

/** `error` as a WriteRefused when it is a refusal of `object`'s write, else unchanged. */
export function refusedWrite(error: unknown, object: { kind: string; metadata: { name: string } }): unknown {
  const refusal = classifyRefusal(error, `${object.kind} ${object.metadata.name}`)
  return refusal && error instanceof KubeApiError ? new WriteRefused(refusal, { cause: error }) : error
}

/** The API server's words are cut here so that the hint after them always fits a condition. */
const MAX_DETAIL = 700

/** A condition message for `refusal`: what was refused, then what to change (`hint`). */
export const refusalMessage = (refusal: Refusal, hint: string): string =>
  `${refusal.object}: ${refusal.detail.slice(0, MAX_DETAIL)} — ${hint}`
