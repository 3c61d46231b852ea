/**
 * The mirror's side of the feed: three requests, each with the token, a timeout and a bound on
 * what it reads. A file is written only as its bytes arrive and is refused unless it ends with the
 * size and sha256 its manifest names, so nothing the syncer did not publish is ever kept.
 */
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { SiteLimits } from '../syncer/tree-filter.js'
import {
  blobPath,
  type FeedState,
  type ManifestFile,
  manifestPath,
  parseFeedState,
  parseManifest,
  revisionsPath,
  type TreeManifest,
  WAIT_MS,
} from './feed-protocol.js'
import { MirrorError } from './mirror-error.js'

export interface FeedClientOptions {
  /** The syncer's HTTP API, e.g. `http://hostplane-syncer.hostplane-system:8080`. */
  readonly url: string
  readonly token: string
  /** Longest any request may take, beyond the syncer's hold of a revisions request. */
  readonly timeoutMs: number
  readonly limits: SiteLimits
  /** Most sites a revisions answer may list. */
  readonly maxSites: number
}

/** JSON bytes allowed per listed entry, with room for long paths. */
const BYTES_PER_ENTRY = 1024
const JSON_OVERHEAD = 1024 * 1024

export class FeedClient {
  constructor(private readonly options: FeedClientOptions) {}

  async revisions(after: string | undefined, signal: AbortSignal): Promise<FeedState> {
    const { maxSites, timeoutMs } = this.options
    const response = await this.get(revisionsPath(after), 'the revisions', WAIT_MS + timeoutMs, signal)
    return parseFeedState(await this.json(response, maxSites * BYTES_PER_ENTRY + JSON_OVERHEAD), maxSites)
  }

  async manifest(key: string, tree: string): Promise<TreeManifest> {
    const { limits, timeoutMs } = this.options
    const response = await this.get(manifestPath(key, tree), `site ${key}: tree ${tree}`, timeoutMs)
    const body = await this.json(response, limits.maxFiles * BYTES_PER_ENTRY + JSON_OVERHEAD)
    return parseManifest(key, body, limits)
  }

  /** Writes the file to `dest` (which must not exist) and checks it; a refused file is left for the caller to discard. */
  async download(key: string, tree: string, file: ManifestFile, dest: string): Promise<void> {
    const what = `site ${key}: ${file.path}`
    const response = await this.get(blobPath(key, tree, file.sha256), what, this.options.timeoutMs)
    const hash = createHash('sha256')
    let bytes = 0
    const check = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length
        if (bytes > file.size)
          return done(
            new MirrorError('HP_ERR_MIRROR_BLOB_MISMATCH', `${what} is longer than ${file.size} bytes`),
          )
        hash.update(chunk)
        done(null, chunk)
      },
    })
    try {
      await pipeline(
        Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
        check,
        createWriteStream(dest, { flags: 'wx', mode: file.executable ? 0o755 : 0o644 }),
      )
    } catch (error) {
      if (error instanceof MirrorError) throw error
      throw new MirrorError(
        'HP_ERR_MIRROR_UNREACHABLE',
        `${what}: the download broke off: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
    const sha256 = hash.digest('hex')
    if (bytes !== file.size || sha256 !== file.sha256)
      throw new MirrorError(
        'HP_ERR_MIRROR_BLOB_MISMATCH',
        `${what}: got ${bytes} bytes with sha256 ${sha256}, the manifest names ${file.size} bytes with ${file.sha256}; the file is refused`,
      )
  }

  private async get(path: string, what: string, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs)
    let response: Response
    try {
      response = await fetch(new URL(path, this.options.url), {
        headers: { authorization: `Bearer ${this.options.token}` },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      })
    } catch (error) {
      throw new MirrorError(
        'HP_ERR_MIRROR_UNREACHABLE',
        `${what}: the syncer at ${this.options.url} did not answer (${(error as Error).message})`,
        { cause: error },
      )
    }
    if (response.ok) return response
    await response.body?.cancel()
    if (response.status === 401)
      throw new MirrorError(
        'HP_ERR_MIRROR_UNAUTHORIZED',
        `${what}: the syncer refused the mirror token; give the syncer and the mirrors the same mirror-token Secret`,
      )
    if (response.status === 404)
      throw new MirrorError(
        'HP_ERR_MIRROR_GONE',
        `${what}: the syncer no longer keeps it (404); the next round fetches its successor`,
      )
    throw new MirrorError('HP_ERR_MIRROR_UNREACHABLE', `${what}: the syncer answered ${response.status}`)
  }

  private async json(response: Response, maxBytes: number): Promise<unknown> {
    const chunks: Buffer[] = []
    let bytes = 0
    for await (const chunk of Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)) {
      bytes += (chunk as Buffer).length
      if (bytes > maxBytes) {
        await response.body?.cancel().catch(() => undefined)
        throw new MirrorError(
          'HP_ERR_MIRROR_FEED_INVALID',
          `the syncer sent more than ${maxBytes} bytes of JSON`,
        )
      }
      chunks.push(chunk as Buffer)
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      throw new MirrorError('HP_ERR_MIRROR_FEED_INVALID', 'the syncer sent a body that is not JSON')
    }
  }
}
