/**
 * The registry's token realm as a fastify plugin, for any hostplane process that holds the
 * signing key: `GET /registry/token` (RegistryTokenIssuer.answerTokenRequest), accepting build
 * tickets and, given the operator's public pull key, the nodes' pull tickets (pull-ticket.ts). The key comes from
 * a PEM file, e.g. `tls.key` of a mounted cert-manager Secret whose `tls.crt` is the registry's
 * rootcertbundle.
 */
import { readFile } from 'node:fs/promises'
import type { FastifyPluginAsync } from 'fastify'
import type { PullTicketVerifier } from './pull-ticket.js'
import { anyOf, type Authenticate, RegistryTokenIssuer, type TokenIssuerOptions } from './token-service.js'

export interface RegistryTokenRoutesOptions {
  readonly issuer: RegistryTokenIssuer
  /** Nodes' pull tickets, accepted besides build tickets. */
  readonly pullTickets?: PullTicketVerifier
  /** @default build tickets RegistryTokenIssuer.buildTicket issued, then `pullTickets` */
  readonly authenticate?: Authenticate
  /** @default /registry/token */
  readonly path?: string
}

export const registryTokenRoutes: FastifyPluginAsync<RegistryTokenRoutesOptions> = async (
  app,
  { issuer, pullTickets, path = '/registry/token', ...options },
) => {
  const authenticate =
    options.authenticate ?? anyOf(issuer.verifyTicket, ...(pullTickets ? [pullTickets.authenticate] : []))
  app.get(path, async (request, reply) => {
    const query = new URL(request.url, 'http://token').searchParams
    const answer = issuer.answerTokenRequest(query, request.headers.authorization, authenticate)
    if (answer.challenge) reply.header('www-authenticate', answer.challenge)
    return reply.code(answer.status).header('cache-control', 'no-store').send(answer.body)
  })
}

/** A token issuer whose key is read from `keyFile` (PEM). */
export async function loadTokenIssuer(
  options: Omit<TokenIssuerOptions, 'privateKey'> & { readonly keyFile: string },
): Promise<RegistryTokenIssuer> {
  const { keyFile, ...rest } = options
  return new RegistryTokenIssuer({ ...rest, privateKey: await readFile(keyFile, 'utf8') })
}
