/**
 * A plain HTTP/1.1 request that sends the path exactly as given (no normalisation), for
 * hostile-path tests; over TLS with a given SNI name when `tls` is set, reporting the certificate
 * the server presented.
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
}

export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
  /** SHA-256 fingerprint of the server certificate (HTTPS only). */
  readonly certificateFingerprint?: string
}

export function sendRequest({ port, method, path, headers, tls }: RawRequest): Promise<RawResponse> {
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
    req.end()
  })
}
