/**
 * A response body read whole but never past `maxBytes`: a declared Content-Length over the limit
 * is refused before reading, and a streamed body is cut off as soon as it passes it, so a remote
 * server cannot fill this process's memory. `tooLarge` builds the caller's own error.
 */
export async function readBoundedBody(
  response: Response,
  maxBytes: number,
  tooLarge: (declared?: number) => Error,
): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0')
  if (declared > maxBytes) {
    await response.body?.cancel()
    throw tooLarge(declared)
  }
  const chunks: Uint8Array[] = []
  let total = 0
  if (response.body)
    for await (const chunk of response.body) {
      total += chunk.length
      if (total > maxBytes) {
        await response.body.cancel().catch(() => undefined)
        throw tooLarge()
      }
      chunks.push(chunk)
    }
  return Buffer.concat(chunks)
}
