/**
 * Sign-in with an API token (`Authorization: Bearer hpt_…`): the token's record binds the caller
 * to its customer, once, and the Identity is passed on as a value. Failed attempts count against
 * the source address (failure-limiter.ts); an address over its limit is refused before its token
 * is even looked at.
 */
import { PanelError } from '../errors.js'
import { type Identity, tokenIdentity } from '../identity.js'
import { isCustomerName } from '../impersonation.js'
import type { TokenStore } from '../tokens/token-store.js'
import type { Authenticator, SignInRequest } from './authenticator.js'
import type { FailureLimiter } from './failure-limiter.js'

const BEARER = /^Bearer ([^\s]+)$/i

export class RateLimitedError extends PanelError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'HP_ERR_PANEL_RATE_LIMITED',
      `too many failed sign-in attempts: try again in ${retryAfterSeconds} s`,
    )
  }
}

export class BearerAuth implements Authenticator {
  constructor(
    private readonly tokens: Pick<TokenStore, 'verify'>,
    private readonly failures: FailureLimiter,
    private readonly onFailure: () => void = () => {},
  ) {}

  async authenticate({ headers, ip: address }: SignInRequest): Promise<Identity> {
    const { authorization } = headers
    const waitMs = this.failures.retryAfterMs(address)
    if (waitMs > 0) throw new RateLimitedError(Math.ceil(waitMs / 1000))
    const token = authorization && BEARER.exec(authorization)?.[1]
    const record = token ? await this.tokens.verify(token) : undefined
    if (!record || !isCustomerName(record.customer)) {
      this.failures.failed(address)
      this.onFailure()
      throw new PanelError(
        'HP_ERR_PANEL_UNAUTHENTICATED',
        token
          ? 'the API token is not valid (revoked, or never issued)'
          : 'send an API token: Authorization: Bearer <token>',
      )
    }
    return tokenIdentity(record.id, record.customer)
  }
}
