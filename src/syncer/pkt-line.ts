/**
 * git's pkt-line framing (gitprotocol-common): four hex digits giving the length of the packet
 * including those digits, then the payload; `0000` flush, `0001` delimiter and `0002` end of
 * response carry none. A remote is hostile, so every length is checked before it is used.
 */

export type Packet =
  | { readonly kind: 'data'; readonly text: string }
  | { readonly kind: 'flush' }
  | { readonly kind: 'delim' }
  | { readonly kind: 'end' }

const SPECIAL: Readonly<Record<number, Packet>> = {
  0: { kind: 'flush' },
  1: { kind: 'delim' },
  2: { kind: 'end' },
}

/** An answer that breaks the protocol: the host is broken or hostile, and nothing of it is used. */
export class MalformedAnswer extends Error {
  override name = 'MalformedAnswer'
}

const malformed = (why: string) => new MalformedAnswer(why)

/**
 * The packets of a whole answer, payloads as text without their trailing newline. An `ERR`
 * packet is the host refusing the request; it is returned as `error` with the packets before it.
 */
export function readPackets(body: Buffer): { packets: Packet[]; error?: string } {
  const packets: Packet[] = []
  let offset = 0
  while (offset < body.length) {
    if (offset + 4 > body.length) throw malformed('a packet length is cut off')
    const digits = body.toString('latin1', offset, offset + 4)
    if (!/^[0-9a-f]{4}$/.test(digits)) throw malformed(`${JSON.stringify(digits)} is not a packet length`)
    const length = parseInt(digits, 16)
    const special = SPECIAL[length]
    if (special) {
      packets.push(special)
      offset += 4
      continue
    }
    if (length < 4) throw malformed(`packet length ${length}`)
    if (offset + length > body.length) throw malformed('a packet is cut off')
    const text = body.toString('utf8', offset + 4, offset + length).replace(/\n$/, '')
    offset += length
    if (text.startsWith('ERR ')) return { packets, error: text.slice(4) }
    packets.push({ kind: 'data', text })
  }
  return { packets }
}

/** One data packet holding `text` (callers add the newline git expects). */
export function pktLine(text: string): string {
  const length = Buffer.byteLength(text) + 4
  if (length > 65520) throw new Error('pkt-line payload too long')
  return length.toString(16).padStart(4, '0') + text
}

export const FLUSH = '0000'
export const DELIM = '0001'
