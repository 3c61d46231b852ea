import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type ConditionalHeaders,
  type FileVersion,
  planFileResponse,
  type ServedFile,
  versionValidators,
} from './file-response.js'

const version = (file: string, size: number): FileVersion => ({
  file,
  size,
  body: undefined,
  ...versionValidators(Date.UTC(2024, 0, 2, 3, 4, 5, 678), size),
})
const identity = version('/t/page.html', 100)
const br = version('/t/page.html.br', 40)
const gzip = version('/t/page.html.gz', 50)
const page: ServedFile = {
  identity,
  br,
  gzip,
  contentType: 'text/html; charset=utf-8',
  cacheControl: 'no-cache',
}
const none: ConditionalHeaders = {
  acceptEncoding: undefined,
  ifNoneMatch: undefined,
  ifModifiedSince: undefined,
  range: undefined,
  ifRange: undefined,
}
const plan = (headers: Partial<ConditionalHeaders>, status: 200 | 404 = 200, file = page) =>
  planFileResponse(file, status, { ...none, ...headers })

describe('versionValidators', () => {
  it("gives nginx's ETag format and an HTTP date of whole seconds", () => {
    assert.deepEqual(versionValidators(Date.UTC(2024, 0, 2, 3, 4, 5, 678), 10), {
      mtimeSeconds: 1704164645,
      etag: '"65937d25-a"',
      lastModified: 'Tue, 02 Jan 2024 03:04:05 GMT',
    })
  })
})

describe('planFileResponse', () => {
  const cases: [
    string,
    Partial<ConditionalHeaders>,
    { status: number; file: string; range?: [number, number] },
  ][] = [
    ['no headers: the whole plain file', {}, { status: 200, file: identity.file }],
    ['br accepted: the .br file', { acceptEncoding: 'gzip, deflate, br' }, { status: 200, file: br.file }],
    ['only gzip accepted: the .gz file', { acceptEncoding: 'gzip' }, { status: 200, file: gzip.file }],
    ['br;q=0 refuses br', { acceptEncoding: 'br;q=0, gzip' }, { status: 200, file: gzip.file }],
    ['an unknown encoding: the plain file', { acceptEncoding: 'zstd' }, { status: 200, file: identity.file }],
    [
      'If-None-Match with the ETag: 304',
      { ifNoneMatch: identity.etag },
      { status: 304, file: identity.file },
    ],
    [
      'If-None-Match with a weak ETag in a list: 304',
      { ifNoneMatch: `"x", W/${identity.etag}` },
      { status: 304, file: identity.file },
    ],
    [
      'If-None-Match with another ETag: 200',
      { ifNoneMatch: '"other"' },
      { status: 200, file: identity.file },
    ],
    [
      'If-None-Match wins over a matching If-Modified-Since',
      { ifNoneMatch: '"other"', ifModifiedSince: identity.lastModified },
      { status: 200, file: identity.file },
    ],
    [
      'If-Modified-Since at Last-Modified: 304',
      { ifModifiedSince: identity.lastModified },
      { status: 304, file: identity.file },
    ],
    [
      'If-Modified-Since before Last-Modified: 200',
      { ifModifiedSince: 'Mon, 01 Jan 2024 00:00:00 GMT' },
      { status: 200, file: identity.file },
    ],
    [
      'an unparsable If-Modified-Since is ignored',
      { ifModifiedSince: 'yesterday' },
      { status: 200, file: identity.file },
    ],
    ['a closed range', { range: 'bytes=10-19' }, { status: 206, file: identity.file, range: [10, 19] }],
    ['an open range', { range: 'bytes=90-' }, { status: 206, file: identity.file, range: [90, 99] }],
    ['a suffix range', { range: 'bytes=-5' }, { status: 206, file: identity.file, range: [95, 99] }],
    [
      'a range past the end is clamped',
      { range: 'bytes=95-500' },
      { status: 206, file: identity.file, range: [95, 99] },
    ],
    ['a range starting past the end: 416', { range: 'bytes=100-' }, { status: 416, file: identity.file }],
    ['several ranges: the whole file', { range: 'bytes=0-1,5-6' }, { status: 200, file: identity.file }],
    ['a backwards range is ignored', { range: 'bytes=9-1' }, { status: 200, file: identity.file }],
    ['another unit is ignored', { range: 'items=0-1' }, { status: 200, file: identity.file }],
    [
      'If-Range with the ETag keeps the range',
      { range: 'bytes=0-0', ifRange: identity.etag },
      { status: 206, file: identity.file, range: [0, 0] },
    ],
    [
      'If-Range with an old ETag: the whole file',
      { range: 'bytes=0-0', ifRange: '"old"' },
      { status: 200, file: identity.file },
    ],
    [
      'a range of the br file counts its bytes',
      { acceptEncoding: 'br', range: 'bytes=-10' },
      { status: 206, file: br.file, range: [30, 39] },
    ],
  ]
  for (const [name, headers, expected] of cases)
    it(name, () => {
      const result = plan(headers)
      assert.equal(result.status, expected.status)
      assert.equal(result.version.file, expected.file)
      assert.deepEqual(result.range && [result.range.start, result.range.end], expected.range)
    })

  it('a 404 page ignores validators and ranges', () => {
    const result = plan({ ifNoneMatch: identity.etag, range: 'bytes=0-1' }, 404)
    assert.equal(result.status, 404)
    assert.equal(result.range, undefined)
  })
})
