/**
 * The few S3 calls the backup proxy makes, over node:http(s) with SigV4 (s3-signature.ts): head,
 * get (streamed, ranged), put (streamed, its length known), delete and list by prefix. Path-style
 * URLs, so any S3-compatible store works (MinIO, Ceph, moto) as well as AWS.
 */
import { type IncomingMessage, request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Readable } from 'node:stream'
import { canonicalQuery, encodeS3Path, type S3Credentials, signS3Request } from './s3-signature.js'

export interface S3Bucket {
  /** e.g. https://s3.example.com */
  readonly endpoint: URL
  readonly bucket: string
  readonly credentials: S3Credentials
}

export class S3Error extends Error {
  override name = 'S3Error'
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const DEFAULT_TIMEOUT_MS = 60_000
const MAX_LISTING_BYTES = 16 * 1024 ** 2

const xmlText = (text: string) =>
  text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&')

async function readAll(response: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of response) {
    bytes += (chunk as Buffer).length
    if (bytes > max) throw new S3Error(502, `the bucket's answer exceeded ${max} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export class S3Client {
  constructor(
    private readonly target: S3Bucket,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  /** Sends one signed request; resolves with the response, whatever its status. */
  private send(
    method: string,
    key: string | undefined,
    {
      query,
      headers = {},
      body,
    }: { query?: Record<string, string>; headers?: Record<string, string>; body?: Readable } = {},
  ): Promise<IncomingMessage> {
    const { endpoint, bucket, credentials } = this.target
    const path = `/${bucket}${key === undefined ? '' : `/${key}`}`
    const signed = signS3Request(
      { method, host: endpoint.host, path, query, headers },
      credentials,
      new Date(),
    )
    const search = query ? `?${canonicalQuery(query)}` : ''
    const url = new URL(`${endpoint.origin}${encodeS3Path(path)}${search}`)
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const outgoing = send(url, { method, headers: signed, timeout: this.timeoutMs }, resolve)
      outgoing.on('timeout', () =>
        outgoing.destroy(new S3Error(504, `the bucket did not answer ${method} in time`)),
      )
      outgoing.on('error', reject)
      if (body) body.pipe(outgoing)
      else outgoing.end()
    })
  }

  private async refused(response: IncomingMessage, what: string): Promise<S3Error> {
    const text = await readAll(response, 64 * 1024).catch(() => '')
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${response.statusCode}`
    return new S3Error(response.statusCode ?? 502, `${what}: the bucket answered ${code}`)
  }

  /** Resolves when the bucket is there and these credentials may use it (HEAD on the bucket). */
  async checkBucket(): Promise<void> {
    const response = await this.send('HEAD', undefined)
    response.resume()
    if (response.statusCode !== 200) throw await this.refused(response, `HEAD ${this.target.bucket}`)
  }

  /** The object's size, or undefined when there is none. */
  async head(key: string): Promise<number | undefined> {
    const response = await this.send('HEAD', key)
    response.resume()
    if (response.statusCode === 404) return undefined
    if (response.statusCode !== 200) throw await this.refused(response, `HEAD ${key}`)
    return Number(response.headers['content-length'] ?? 0)
  }

  /** The object as a stream (status 200, or 206 for a range); undefined when there is none. */
  async get(key: string, range?: string): Promise<IncomingMessage | undefined> {
    const response = await this.send('GET', key, range ? { headers: { range } } : {})
    if (response.statusCode === 404) {
      response.resume()
      return undefined
    }
    if (response.statusCode !== 200 && response.statusCode !== 206)
      throw await this.refused(response, `GET ${key}`)
    return response
  }

  async put(key: string, body: Readable, length: number): Promise<void> {
    const response = await this.send('PUT', key, { headers: { 'content-length': String(length) }, body })
    if (response.statusCode !== 200) throw await this.refused(response, `PUT ${key}`)
    response.resume()
  }

  async delete(key: string): Promise<void> {
    const response = await this.send('DELETE', key)
    if (response.statusCode !== 204 && response.statusCode !== 200)
      throw await this.refused(response, `DELETE ${key}`)
    response.resume()
  }

  /** Every object under `prefix`, with its size. */
  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    const objects: { key: string; size: number }[] = []
    let token: string | undefined
    do {
      const query: Record<string, string> = {
        'list-type': '2',
        prefix,
        ...(token ? { 'continuation-token': token } : {}),
      }
      const response = await this.send('GET', undefined, { query })
      if (response.statusCode !== 200) throw await this.refused(response, `list ${prefix}`)
      const xml = await readAll(response, MAX_LISTING_BYTES)
      for (const [, contents = ''] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = /<Key>([^<]*)<\/Key>/.exec(contents)?.[1]
        const size = /<Size>(\d+)<\/Size>/.exec(contents)?.[1]
        if (key !== undefined) objects.push({ key: xmlText(key), size: Number(size ?? 0) })
      }
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
        ? xmlText(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
        : undefined
    } while (token)
    return objects
  }
}
