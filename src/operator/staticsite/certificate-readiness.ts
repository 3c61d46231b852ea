/**
 * Why a site's Certificate is or is not ready, read from cert-manager's own objects. While an
 * issuance fails, the Certificate itself says only "Issuing certificate as Secret does not
 * exist"; the reason a user can act on sits further down: on the newest CertificateRequest's
 * `Ready` condition, on its ACME Order (`status.state`, `status.reason`) and on the Order's
 * Challenges (`status.state`, `status.reason`, e.g. the HTTP-01 self check that cannot reach the
 * domain). An ordered list of rules picks the first that explains the state. Pure.
 */
import type { Condition } from '../../api/conditions.js'
import { findCondition } from '../../kube/conditions.js'
import type { KubeObject } from '../../kube/object.js'
import { REASON } from './conditions.js'

export interface CertificateObject extends KubeObject {
  readonly status?: { readonly conditions?: readonly Condition[]; readonly notAfter?: string }
}

export interface CertificateRequestObject extends KubeObject {
  readonly status?: { readonly conditions?: readonly Condition[] }
}

/** An ACME Order or Challenge: `state` is cert-manager's (pending, valid, invalid, errored, …). */
export interface AcmeObject extends KubeObject {
  readonly spec?: { readonly dnsName?: string; readonly type?: string }
  readonly status?: { readonly state?: string; readonly reason?: string }
}

/** The newest CertificateRequest of a Certificate, its Orders and their Challenges. */
export interface Issuance {
  readonly request?: CertificateRequestObject
  readonly orders: readonly AcmeObject[]
  readonly challenges: readonly AcmeObject[]
}

export const NO_ISSUANCE: Issuance = { orders: [], challenges: [] }

export interface CertificateVerdict {
  readonly status: 'True' | 'False'
  readonly reason:
    | typeof REASON.CertificateIssued
    | typeof REASON.CertificatePending
    | typeof REASON.CertificateFailed
    | typeof REASON.CertificateExpired
  readonly message: string
}

/** ACME states after which cert-manager starts a new attempt (with backoff) rather than waiting. */
const FAILED_STATES = new Set(['invalid', 'errored', 'expired'])
/** CertificateRequest `Ready` reasons that end the request without a certificate. */
const FAILED_REQUEST_REASONS = new Set(['Failed', 'Denied'])

const said = (reason: string | undefined) => (reason ? `: ${reason}` : '')

/** Why the issuance failed, from the deepest object that says so; undefined when nothing failed. */
function failure({ request, orders, challenges }: Issuance): string | undefined {
  for (const challenge of challenges)
    if (FAILED_STATES.has(challenge.status?.state ?? ''))
      return `the ${challenge.spec?.type ?? 'ACME'} challenge for ${challenge.spec?.dnsName ?? 'a domain'} is ${challenge.status?.state}${said(challenge.status?.reason)}`
  for (const order of orders)
    if (FAILED_STATES.has(order.status?.state ?? ''))
      return `the ACME order ${order.metadata.name} is ${order.status?.state}${said(order.status?.reason)}`
  const ready = findCondition(request?.status?.conditions, 'Ready')
  if (request && ready?.status === 'False' && FAILED_REQUEST_REASONS.has(ready.reason))
    return `CertificateRequest ${request.metadata.name} ${ready.reason === 'Denied' ? 'was denied' : 'failed'}${said(ready.message)}`
  return undefined
}

/** What an issuance still waits for, when a Challenge says (e.g. the self check cannot reach the domain). */
function waitingFor({ challenges }: Issuance): string | undefined {
  const challenge = challenges.find((c) => c.status?.reason && c.status.state !== 'valid')
  if (!challenge) return undefined
  return `the ${challenge.spec?.type ?? 'ACME'} challenge for ${challenge.spec?.dnsName ?? 'a domain'} is ${challenge.status?.state ?? 'pending'}: ${challenge.status?.reason}`
}

/** The CertificateReady verdict for Certificate `name` (undefined: not created yet). */
export function certificateVerdict(
  name: string,
  certificate: CertificateObject | undefined,
  issuance: Issuance,
  now: Date,
): CertificateVerdict {
  const verdict = (
    status: CertificateVerdict['status'],
    reason: CertificateVerdict['reason'],
    message: string,
  ) => ({
    status,
    reason,
    message: message.slice(0, 1024),
  })
  const notAfter = certificate?.status?.notAfter
  if (notAfter && Date.parse(notAfter) <= now.getTime()) {
    const why = failure(issuance) ?? waitingFor(issuance)
    return verdict(
      'False',
      REASON.CertificateExpired,
      `Certificate ${name} expired at ${notAfter} and was not renewed${why ? `: ${why}` : ''}`,
    )
  }
  const ready = findCondition(certificate?.status?.conditions, 'Ready')
  if (ready?.status === 'True')
    return verdict('True', REASON.CertificateIssued, `Certificate ${name} is issued and ready`)
  const failed = failure(issuance)
  if (failed)
    return verdict(
      'False',
      REASON.CertificateFailed,
      `cert-manager could not issue Certificate ${name}: ${failed}; it retries with backoff`,
    )
  const waiting = waitingFor(issuance)
  if (waiting)
    return verdict(
      'False',
      REASON.CertificatePending,
      `cert-manager has not issued Certificate ${name} yet: ${waiting}`,
    )
  return verdict(
    'False',
    REASON.CertificatePending,
    ready
      ? `cert-manager has not issued Certificate ${name} yet: ${ready.reason}: ${ready.message}`
      : `waiting for cert-manager to issue Certificate ${name}; check that DNS of every domain points at the ingress`,
  )
}
