/**
 * A plain HTTP/1.1 request that sends the path exactly as given (no normalisation), for
 * hostile-path tests; over TLS with a given SNI name when `tls` is set, reporting the certificate
 * the server presented. With `halfClose` the client shuts down its sending side once the request
 * is sent, and still reads the response.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { TLSSocket } from 'node:tls'

export interface RawRequest {
  readonly port: number
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** HTTPS with this SNI name, trusting only `ca`; without `ca` any certificate is accepted. */
  readonly tls?: { readonly servername: string; readonly ca?: string | Buffer }
  readonly halfClose?: boolean
}

export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  /** Names of the headers the response carried more than once (lower case). */
  readonly repeatedHeaders: readonly string[]
  readonly body: string
  /** SHA-256 fingerprint of the server certificate (HTTPS only). */
  readonly certificateFingerprint?: string
}

export function sendRequest({
  port,
  method,
  path,
  headers,
  tls,
  halfClose,
}: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 5000 }
    const onResponse = (res: IncomingMessage) => {
      const certificate = tls ? (res.socket as TLSSocket).getPeerCertificate() : undefined
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const flat: Record<string, string | undefined> = {}
        for (const [name, value] of Object.entries(res.headers))
          flat[name] = Array.isArray(value) ? value.join(', ') : value
        resolve({
          status: res.statusCode ?? 0,
          headers: flat,
          repeatedHeaders: repeated(res.rawHeaders),
          body: Buffer.concat(chunks).toString('latin1'),
          ...(certificate ? { certificateFingerprint: certificate.fingerprint256 } : {}),
        })
      })
      res.on('error', reject)
    }
    const req = tls
      ? httpsRequest(
          { ...options, servername: tls.servername, ca: tls.ca, rejectUnauthorized: tls.ca !== undefined },
          onResponse,
        )
      : httpRequest(options, onResponse)
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 5 s`)))
    req.on('error', reject)
    if (halfClose) req.once('finish', () => req.socket?.end())
    req.end()
  })
}

function repeated(rawHeaders: readonly string[]): string[] {
  const seen = new Set<string>()
  const twice = new Set<string>()
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase()
    if (seen.has(name)) twice.add(name)
    seen.add(name)
  }
  return [...twice]
}
