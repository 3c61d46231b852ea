/** A plain HTTP/1.1 request that sends the path exactly as given (no normalisation), for hostile-path tests. */
import { request } from 'node:http'

export interface RawRequest {
  readonly port: number
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
}

export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
}

export function sendRequest({ port, method, path, headers }: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 5000 },
      (res) => {
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
          })
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 5 s`)))
    req.on('error', reject)
    req.end()
  })
}
