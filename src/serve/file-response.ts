/**
 * Which bytes of a file a GET/HEAD gets, and with what status: the precompressed variant the
 * client accepts, conditional requests (If-None-Match before If-Modified-Since, RFC 9110 §13.2.2)
 * and a single byte range (206, or 416 when unsatisfiable; several ranges get the whole file, which
 * RFC 9110 allows). Pure: the file's metadata and the request headers in, a plan out.
 */

export type Encoding = 'br' | 'gzip'

export interface FileVersion {
  /** Absolute real path of the bytes on disk. */
  readonly file: string
  readonly size: number
  /** nginx's format, `"<mtime hex>-<size hex>"`, so both servers give the same validators. */
  readonly etag: string
  readonly lastModified: string
  readonly mtimeSeconds: number
  /** The whole content, when small enough to keep in memory. */
  readonly body: Buffer | undefined
}

export interface ServedFile {
  readonly identity: FileVersion
  readonly br: FileVersion | undefined
  readonly gzip: FileVersion | undefined
  readonly contentType: string
  readonly cacheControl: string
}

export interface ConditionalHeaders {
  readonly acceptEncoding: string | undefined
  readonly ifNoneMatch: string | undefined
  readonly ifModifiedSince: string | undefined
  readonly range: string | undefined
  readonly ifRange: string | undefined
}

export interface FilePlan {
  readonly status: 200 | 206 | 304 | 404 | 416
  readonly version: FileVersion
  readonly encoding: Encoding | undefined
  /** Inclusive byte range of `version` to send; undefined for the whole file or no body. */
  readonly range: { readonly start: number; readonly end: number } | undefined
}

export function versionValidators(mtimeMs: number, size: number) {
  const mtimeSeconds = Math.floor(mtimeMs / 1000)
  return {
    mtimeSeconds,
    etag: `"${mtimeSeconds.toString(16)}-${size.toString(16)}"`,
    lastModified: new Date(mtimeSeconds * 1000).toUTCString(),
  }
}

export function planFileResponse(file: ServedFile, status: 200 | 404, request: ConditionalHeaders): FilePlan {
  const encoding = chooseEncoding(file, request.acceptEncoding)
  const version = (encoding === 'br' ? file.br : encoding === 'gzip' ? file.gzip : undefined) ?? file.identity
  const whole = { status, version, encoding, range: undefined }
  if (status === 404) return whole
  if (notModified(version, request)) return { ...whole, status: 304 }
  if (request.range === undefined || !ifRangeHolds(version, request.ifRange)) return whole
  const range = parseRange(request.range, version.size)
  if (range === 'ignore') return whole
  if (range === 'unsatisfiable') return { ...whole, status: 416 }
  return { ...whole, status: 206, range }
}

export function acceptsEncoding(acceptEncoding: string, wanted: Encoding): boolean {
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.split(';')
    if (name.trim().toLowerCase() !== wanted) continue
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  }
  return false
}

function chooseEncoding(file: ServedFile, acceptEncoding: string | undefined): Encoding | undefined {
  if (acceptEncoding === undefined || (!file.br && !file.gzip)) return undefined
  if (file.br && acceptsEncoding(acceptEncoding, 'br')) return 'br'
  if (file.gzip && acceptsEncoding(acceptEncoding, 'gzip')) return 'gzip'
  return undefined
}

function notModified(version: FileVersion, request: ConditionalHeaders): boolean {
  if (request.ifNoneMatch !== undefined) {
    return request.ifNoneMatch
      .split(',')
      .map((tag) => tag.trim().replace(/^W\//, ''))
      .some((tag) => tag === '*' || tag === version.etag)
  }
  if (request.ifModifiedSince === undefined) return false
  const since = Date.parse(request.ifModifiedSince)
  return !Number.isNaN(since) && version.mtimeSeconds * 1000 <= since
}

function ifRangeHolds(version: FileVersion, ifRange: string | undefined): boolean {
  if (ifRange === undefined) return true
  return ifRange.startsWith('"') ? ifRange === version.etag : ifRange === version.lastModified
}

const RANGE = /^bytes=(\d*)-(\d*)$/

function parseRange(
  header: string,
  size: number,
): { start: number; end: number } | 'ignore' | 'unsatisfiable' {
  const match = RANGE.exec(header.trim())
  if (!match) return 'ignore'
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return 'ignore'
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (last !== '' && Number(last) < start) return 'ignore'
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}
