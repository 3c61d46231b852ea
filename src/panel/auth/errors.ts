/**
 * Every way a sign-in or a session-authenticated request is refused, by stable code
 * (`HP_ERR_SIGNIN_*`) with its HTTP status and the sentence a person reads on the refusal page.
 * Provider answers that a retry may fix (unreachable, slow, 5xx) are 502 and say so; everything
 * else is the person's or the configuration's to change. docs/panel-sign-in.md lists every code.
 */
export const SIGNIN_ERRORS = {
  HP_ERR_SIGNIN_STATE: {
    status: 400,
    summary:
      'This sign-in link is not valid any more (it expired, was already used, or was started in another browser). Start again.',
  },
  HP_ERR_SIGNIN_PROVIDER_DENIED: { status: 403, summary: 'The identity provider did not sign you in.' },
  HP_ERR_SIGNIN_TOKEN_INVALID: {
    status: 403,
    summary: 'The identity provider’s answer could not be verified, so you are not signed in.',
  },
  HP_ERR_SIGNIN_NO_CUSTOMER: {
    status: 403,
    summary:
      'Your account is not assigned to a customer of this hosting platform. Ask your provider to give your account access.',
  },
  HP_ERR_SIGNIN_PROVIDER_UNAVAILABLE: {
    status: 502,
    summary: 'The identity provider could not be reached or answered with an error. Try again in a moment.',
  },
  HP_ERR_SIGNIN_AUDIT_UNAVAILABLE: {
    status: 503,
    summary:
      'You are not signed in: the panel cannot record sign-ins in its audit log right now. Try again in a moment.',
  },
  HP_ERR_SIGNIN_NO_SESSION: { status: 401, summary: 'You are not signed in, or your session has ended.' },
  HP_ERR_SIGNIN_RATE_LIMITED: {
    status: 429,
    summary: 'Too many sign-in attempts from your address. Wait a minute and try again.',
  },
  HP_ERR_SIGNIN_CSRF: {
    status: 403,
    summary:
      'This request did not come from a page of this panel (missing or wrong CSRF token, or another origin).',
  },
} as const satisfies Record<string, { status: number; summary: string }>

export type SignInErrorCode = keyof typeof SIGNIN_ERRORS

export class SignInError extends Error {
  override name = 'SignInError'
  readonly status: number

  /** `message` is the summary a person reads; `detail` goes to the log only. */
  constructor(
    readonly code: SignInErrorCode,
    readonly detail?: string,
    options?: { readonly cause?: unknown },
  ) {
    super(SIGNIN_ERRORS[code].summary, options)
    this.status = SIGNIN_ERRORS[code].status
  }
}
