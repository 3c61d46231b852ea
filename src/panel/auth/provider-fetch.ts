/**
 * Every request to the identity provider (discovery, JWKS, token endpoint) goes through this one
 * fetch: a timeout for the whole exchange, a bound on the response body, and no redirects
 * followed. A slow or hostile provider can make a sign-in fail, not hang the panel or fill its
 * memory.
 */
import { readBoundedBody } from '../../ops/bounded-body.js'

export type ProviderFetch = (url: string, init: RequestInit) => Promise<Response>

export interface ProviderFetchLimits {
  /** Whole request, body included. @default 10000 */
  readonly timeoutMs?: number
  /** Response body bytes. @default 1 MiB */
  readonly maxBytes?: number
}

/**
 * A fetch failure of the provider exchange. A TypeError, as fetch's own network errors are, so
 * that openid-client passes it through unchanged.
 */
export class ProviderFetchError extends TypeError {
  override name = 'ProviderFetchError'
}

// Statuses whose Response must have a null body.
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** A fetch for provider requests with the limits, built on `base` (the global fetch by default). */
export function providerFetch(limits: ProviderFetchLimits = {}, base: ProviderFetch = fetch): ProviderFetch {
  const { timeoutMs = 10_000, maxBytes = 1024 * 1024 } = limits
  return async (url, init) => {
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    try {
      const response = await base(url, { ...init, redirect: 'manual', signal })
      const body = await readBoundedBody(response, maxBytes, (declared) =>
        declared === undefined
          ? new ProviderFetchError(`${url} answered with more than ${maxBytes} bytes`)
          : new ProviderFetchError(`${url} answered with ${declared} bytes, over the limit of ${maxBytes}`),
      )
      return new Response(NULL_BODY.has(response.status) ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      })
    } catch (error) {
      if (error instanceof ProviderFetchError) throw error
      const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message
      throw new ProviderFetchError(`${url}: ${why}`, { cause: error })
    }
  }
}
