/**
 * How a request proves who it is: each sign-in method (API tokens now, an OpenID Connect session
 * later) is an Authenticator, and the app binds the Identity it answers once, before any handler.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Identity } from '../identity.js'

export interface SignInRequest {
  readonly headers: IncomingHttpHeaders
  /** The client's address (behind trusted proxies, the one they name). */
  readonly ip: string
}

export interface Authenticator {
  /** The caller's Identity, or a PanelError (401, 429) saying why not. */
  authenticate(request: SignInRequest): Promise<Identity>
}
