import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { clientErrorStatus } from './client-error.js'

/** The error Node's parser reports when the head passes the limit at `stop` within `read`. */
const overflow = (read: string, stop = read.length) => ({
  code: 'HPE_HEADER_OVERFLOW',
  rawPacket: Buffer.from(read),
  bytesParsed: stop,
})
const longUrl = `GET /${'a'.repeat(17_000)}`

describe('clientErrorStatus', () => {
  const cases: [string, Parameters<typeof clientErrorStatus>[0], number | undefined][] = [
    [
      'a request line past the head limit, in one read, is 414',
      overflow(`${longUrl} HTTP/1.1\r\n`, longUrl.length),
      414,
    ],
    ['the rest of a long request line in a later read is 414', overflow('a'.repeat(9000)), 414],
    [
      'a long request line after a complete pipelined request is 414',
      overflow(`GET / HTTP/1.1\r\nHost: a\r\n\r\n${longUrl}`),
      414,
    ],
    [
      'a header line past the head limit is 431',
      overflow(`GET / HTTP/1.1\r\nHost: a\r\nCookie: ${'c'.repeat(17_000)}`),
      431,
    ],
    ['headers past the limit without the bytes read are 431', { code: 'HPE_HEADER_OVERFLOW' }, 431],
    ['a request that took too long is 408', { code: 'ERR_HTTP_REQUEST_TIMEOUT' }, 408],
    ['too many chunk extensions is 413', { code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW' }, 413],
    ['any other parse error is 400', { code: 'HPE_INVALID_METHOD' }, 400],
    ['a reset connection gets nothing', { code: 'ECONNRESET' }, undefined],
  ]
  for (const [name, error, status] of cases) it(name, () => assert.equal(clientErrorStatus(error), status))
})
