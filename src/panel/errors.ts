/**
 * Every way a panel request can fail, by stable code (`HP_ERR_PANEL_*`) with its HTTP status, and
 * how a Kubernetes refusal becomes one. The rule that keeps customers apart: a named object that
 * the API server says is missing or forbidden is 404 either way, so a customer cannot tell
 * another customer's object from one that does not exist. Client mistakes are 4xx; only an
 * unreachable or failing API server is 5xx. docs/panel.md lists every code.
 */
import { KubeApiError } from '../kube/rest.js'

export const PANEL_ERRORS = {
  HP_ERR_PANEL_UNAUTHENTICATED: { status: 401, summary: 'no valid API token or session' },
  HP_ERR_PANEL_RATE_LIMITED: { status: 429, summary: 'too many failed sign-in attempts' },
  HP_ERR_PANEL_TOO_MANY_STREAMS: { status: 429, summary: 'too many open build log streams' },
  HP_ERR_PANEL_TOO_MANY_DOWNLOADS: { status: 429, summary: 'too many backup downloads running' },
  HP_ERR_PANEL_NOT_ADMIN: { status: 403, summary: 'only a provider admin may do this' },
  HP_ERR_PANEL_NOT_A_CUSTOMER: { status: 403, summary: 'a provider admin is not acting as a customer' },
  HP_ERR_PANEL_NOT_FOUND: { status: 404, summary: 'no such object' },
  HP_ERR_PANEL_INVALID: { status: 422, summary: 'the object is not valid' },
  HP_ERR_PANEL_BAD_REQUEST: { status: 400, summary: 'the request is malformed' },
  HP_ERR_PANEL_TOO_LARGE: { status: 413, summary: 'the request body is too large' },
  HP_ERR_PANEL_UNSUPPORTED_MEDIA: { status: 415, summary: 'send the body as application/json' },
  HP_ERR_PANEL_REFUSED: { status: 403, summary: 'refused by a policy of the cluster' },
  HP_ERR_PANEL_CONFLICT: { status: 409, summary: 'the object exists or changed meanwhile' },
  HP_ERR_PANEL_BACKUP_NOT_READY: { status: 409, summary: 'only a Succeeded Backup can be downloaded' },
  HP_ERR_PANEL_UNAVAILABLE: { status: 503, summary: 'the Kubernetes API is unavailable' },
  HP_ERR_PANEL_REPOSITORY_UNAVAILABLE: {
    status: 503,
    summary: 'the backup repository cannot be read now; the error is in the panel’s log',
  },
  HP_ERR_PANEL_AUDIT_UNAVAILABLE: {
    status: 503,
    summary: 'the change was not made: the panel cannot record it in its audit log',
  },
  HP_ERR_PANEL_INTERNAL: { status: 500, summary: 'the panel failed; the error is in its log' },
} as const satisfies Record<string, { status: number; summary: string }>

export type PanelErrorCode = keyof typeof PANEL_ERRORS

/** A field the API server (or the request schema) found wrong, for a UI to show next to it. */
export interface FieldProblem {
  readonly field: string
  readonly message: string
}

export class PanelError extends Error {
  override name = 'PanelError'
  readonly status: number

  constructor(
    readonly code: PanelErrorCode,
    message: string = PANEL_ERRORS[code].summary,
    readonly fields?: readonly FieldProblem[],
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.status = PANEL_ERRORS[code].status
  }
}

/** The body of every error answer. */
export const errorBody = (error: PanelError) => ({
  error: {
    code: error.code,
    message: error.message,
    ...(error.fields?.length ? { fields: error.fields } : {}),
  },
})

interface StatusCause {
  readonly field?: string
  readonly message?: string
}

const causesOf = (details: unknown): FieldProblem[] =>
  ((details as { causes?: StatusCause[] } | undefined)?.causes ?? []).map((cause) => ({
    field: cause.field ?? '',
    message: cause.message ?? '',
  }))

/**
 * hostplane's admission policies word a denial `<field>: <what to change>` (src/admission), so
 * the field is taken from the message, for a form to show it where it belongs.
 */
const POLICY_DENIAL = /denied request: (spec(?:\.[A-Za-z][A-Za-z0-9]*)+): (.+)$/s

export function policyFields(message: string): FieldProblem[] {
  const [, field, said] = POLICY_DENIAL.exec(message) ?? []
  return field && said ? [{ field, message: said }] : []
}

/**
 * Strict field validation refuses a field the schema does not know with a 400 (`strict decoding
 * error: unknown field "spec.colour"`): for a form that is a field error like any other.
 */
export const unknownFields = (message: string): FieldProblem[] =>
  message.includes('strict decoding error')
    ? [...message.matchAll(/unknown field "([^"]+)"/g)].map(([, field = '']) => ({
        field,
        message: 'unknown field',
      }))
    : []

/** RBAC's refusal (`User "…" cannot get resource …`), as opposed to an admission policy's or a quota's. */
const RBAC_REFUSAL = /\bcannot [a-z]+ resource\b/

/** `send`'s Kubernetes error as the panel's answer (fromKube), its result as it is. */
export async function kubeCall<T>(named: boolean, send: () => Promise<T>): Promise<T> {
  try {
    return await send()
  } catch (error) {
    throw fromKube(error, { named })
  }
}

/**
 * A Kubernetes error as the panel's answer. `named` is true when the request addressed one object
 * by name (get, update, delete): RBAC refusing it is a 404 there, as for another customer's
 * object; an admission policy or a quota refusing a write is a 403 that says why.
 */
export function fromKube(error: unknown, { named }: { named: boolean }): Error {
  if (error instanceof PanelError) return error
  if (!(error instanceof KubeApiError))
    return new PanelError('HP_ERR_PANEL_UNAVAILABLE', undefined, undefined, { cause: error })
  const said = error.statusMessage
  switch (error.status) {
    case 404:
      return new PanelError('HP_ERR_PANEL_NOT_FOUND', undefined, undefined, { cause: error })
    case 403:
      return named && RBAC_REFUSAL.test(said)
        ? new PanelError('HP_ERR_PANEL_NOT_FOUND', undefined, undefined, { cause: error })
        : new PanelError('HP_ERR_PANEL_REFUSED', said, policyFields(said), { cause: error })
    case 409:
      return new PanelError('HP_ERR_PANEL_CONFLICT', said, undefined, { cause: error })
    case 422:
      return new PanelError('HP_ERR_PANEL_INVALID', said, causesOf(error.details), { cause: error })
    case 400: {
      const unknown = unknownFields(said)
      return unknown.length > 0
        ? new PanelError('HP_ERR_PANEL_INVALID', said, unknown, { cause: error })
        : new PanelError('HP_ERR_PANEL_BAD_REQUEST', said, undefined, { cause: error })
    }
    case 413:
      return new PanelError('HP_ERR_PANEL_TOO_LARGE', said, undefined, { cause: error })
    default:
      return new PanelError('HP_ERR_PANEL_UNAVAILABLE', undefined, undefined, { cause: error })
  }
}
