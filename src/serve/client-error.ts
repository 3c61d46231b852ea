/**
 * The answer to a request Node's parser refused before the server saw it (its `clientError`
 * event): which status, or none. Node's own answer has no body, is not counted anywhere, and says
 * 431 for any head past `maxHeaderBytes`, also when the request line alone is too long, where
 * nginx (and the built-in server below that size) say 414.
 */

/** What Node's `clientError` passes about a parse error (`bytesParsed`, `rawPacket` for parser errors). */
export interface ClientError {
  readonly code?: string
  /** Bytes of `rawPacket` the parser consumed before it stopped. */
  readonly bytesParsed?: number
  /** The bytes of the read in which the parser stopped. */
  readonly rawPacket?: Buffer
}

/** A request line so far: a method and a space, then the target (no line break yet). */
const REQUEST_LINE_START = /^[A-Z]+ /

/** undefined: nothing is sent (the client reset the connection). */
export function clientErrorStatus(error: ClientError): number | undefined {
  switch (error.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408
    case 'HPE_HEADER_OVERFLOW':
      return requestLineTooLong(error) ? 414 : 431
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413
    default:
      return 400
  }
}

/**
 * Whether the line that passed the head limit is the request line. Node stops at the end of the
 * piece of the line it was reading: when the bytes it consumed of this read hold a line break,
 * the line after the last one is the request line if it starts like one; when they hold none, the
 * line started in an earlier read, and is taken to be the request line — a header line longer
 * than a whole read is the rarer case (browsers cap a cookie at 4 KiB).
 */
function requestLineTooLong({ rawPacket, bytesParsed }: ClientError): boolean {
  if (!rawPacket) return false
  const parsed = rawPacket.subarray(0, bytesParsed ?? rawPacket.length)
  const lineBreak = parsed.lastIndexOf(10 /* \n */)
  if (lineBreak < 0) return true
  return REQUEST_LINE_START.test(parsed.subarray(lineBreak + 1, lineBreak + 21).toString('latin1'))
}
