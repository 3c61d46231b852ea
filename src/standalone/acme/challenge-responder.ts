/**
 * Answers ACME HTTP-01 challenges on the HTTP listener, before site routing: only
 * `/.well-known/acme-challenge/<token>` for a token an order in flight is waiting for, and only on
 * that order's domain. Everything else under `.well-known` goes on to the site rules, which refuse
 * it for sites, so a tenant's files can never answer a challenge.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { normaliseHost } from '../../serve/served-site.js'

const PREFIX = '/.well-known/acme-challenge/'

export interface ChallengeRequest {
  readonly method: string
  readonly host: string | undefined
  /** The request target as sent. */
  readonly target: string
}

interface Waiting {
  readonly domain: string
  readonly keyAuthorization: string
}

export class ChallengeResponder {
  private readonly waiting = new Map<string, Waiting>()

  add(domain: string, token: string, keyAuthorization: string): void {
    this.waiting.set(token, { domain, keyAuthorization })
  }

  remove(token: string): void {
    this.waiting.delete(token)
  }

  /** The key authorization a request asks for, when it is a challenge this process waits for. */
  keyAuthorization({ method, host, target }: ChallengeRequest): string | undefined {
    if (!target.startsWith(PREFIX) || (method !== 'GET' && method !== 'HEAD')) return undefined
    const waiting = this.waiting.get(target.slice(PREFIX.length))
    return waiting && normaliseHost(host ?? '') === waiting.domain ? waiting.keyAuthorization : undefined
  }

  /** Answers the request when it is a challenge this process waits for; true when it did. */
  answer(request: IncomingMessage, response: ServerResponse): boolean {
    const method = request.method ?? ''
    const body = this.keyAuthorization({ method, host: request.headers.host, target: request.url ?? '' })
    if (body === undefined) return false
    response
      .writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
      })
      .end(method === 'HEAD' ? undefined : body)
    return true
  }
}
