/**
 * May a request that a session cookie authenticates change something? A pure decision over what
 * the request carries (STYLE 13): safe methods pass, and so do requests that no session cookie
 * authenticates: bearer-token requests (a browser never adds an `Authorization` header
 * cross-site without a CORS preflight the panel does not grant) and requests without a live
 * session, which carry no authority for a forged request to borrow and are the authentication's
 * to refuse; otherwise the browser's own Fetch Metadata and Origin must say the request came from the
 * panel's origin, and the synchronizer token stored in the session must be sent back.
 */
import { timingSafeEqual } from 'node:crypto'

export interface CsrfInput {
  readonly method: string
  /** An `Authorization: Bearer` header was sent. */
  readonly bearer: boolean
  /** `Origin` header, if any. */
  readonly origin?: string
  /** `Sec-Fetch-Site` header, if any. */
  readonly fetchSite?: string
  /** The token the request sent (`X-CSRF-Token` header or `_csrf` form field). */
  readonly token?: string
  /** The token of the session the cookie names; undefined when there is no live session. */
  readonly expected?: string
  /** The panel's public origin, e.g. `https://panel.example.com`. */
  readonly publicOrigin: string
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

type Rule = (input: CsrfInput) => string | undefined

const RULES: readonly Rule[] = [
  ({ fetchSite }) =>
    fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none'
      ? `the browser says the request came from a ${fetchSite} page`
      : undefined,
  ({ origin, publicOrigin }) =>
    origin !== undefined && origin !== publicOrigin ? `the request came from origin ${origin}` : undefined,
  ({ token }) => (token === undefined || token === '' ? 'the request carries no CSRF token' : undefined),
  ({ token = '', expected = '' }) =>
    sameToken(token, expected) ? undefined : 'the CSRF token does not match the session',
]

/** Why the request is refused, or undefined when it may proceed. */
export function csrfRefusal(input: CsrfInput): string | undefined {
  if (SAFE.has(input.method.toUpperCase()) || input.bearer || input.expected === undefined) return undefined
  for (const rule of RULES) {
    const problem = rule(input)
    if (problem) return problem
  }
  return undefined
}
