/**
 * What a public key is worth to the gitserver: its SHA256 fingerprint (as `ssh-keygen -l` prints
 * it) and whether it may authenticate. DSA (1024-bit by definition) and RSA below 2048 bits are
 * weak; key types ssh2 cannot verify signatures of (security keys, certificates) are invalid,
 * since they could never log in. Pure: the same line always gives the same answer.
 */
import { createHash } from 'node:crypto'
import ssh2 from 'ssh2'

export const MIN_RSA_BITS = 2048

export type KeyProblem = 'Weak' | 'Invalid'

export type KeyVerdict =
  | { readonly ok: true; readonly fingerprint: string; readonly type: string; readonly bits?: number }
  | {
      readonly ok: false
      readonly reason: KeyProblem
      readonly message: string
      readonly fingerprint?: string
    }

/** `SHA256:<unpadded base64>` of the key's wire blob. */
export const fingerprintOf = (blob: Buffer): string =>
  `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`

/** Reads an SSH wire `string` (uint32 length, bytes) at `offset`. */
function wireString(blob: Buffer, offset: number): { value: Buffer; next: number } | undefined {
  if (offset + 4 > blob.length) return undefined
  const length = blob.readUInt32BE(offset)
  const next = offset + 4 + length
  return next > blob.length ? undefined : { value: blob.subarray(offset + 4, next), next }
}

/** Bits of an RSA key's modulus, from its wire blob (`ssh-rsa`, e, n). */
export function rsaBits(blob: Buffer): number | undefined {
  const type = wireString(blob, 0)
  const exponent = type && wireString(blob, type.next)
  const modulus = exponent && wireString(blob, exponent.next)
  if (!modulus) return undefined
  let n = modulus.value
  while (n.length > 0 && n[0] === 0) n = n.subarray(1)
  if (n.length === 0) return 0
  return (n.length - 1) * 8 + (32 - Math.clz32(n[0] ?? 0))
}

/** Judges one OpenSSH public key line (`type base64 [comment]`). */
export function classifyKey(line: string): KeyVerdict {
  const [type = '', data = ''] = line.trim().split(/\s+/)
  const blob = Buffer.from(data, 'base64')
  if (!/^[A-Za-z0-9+/]+={0,3}$/.test(data) || blob.length === 0)
    return { ok: false, reason: 'Invalid', message: 'not an OpenSSH public key line' }
  const fingerprint = fingerprintOf(blob)
  const blobType = wireString(blob, 0)?.value.toString('latin1')
  if (blobType !== type)
    return { ok: false, reason: 'Invalid', message: `the key data is not a ${type} key`, fingerprint }
  if (type === 'ssh-dss')
    return { ok: false, reason: 'Weak', message: 'DSA keys are weak; use ssh-keygen -t ed25519', fingerprint }
  const parsed = ssh2.utils.parseKey(line.trim())
  if (parsed instanceof Error)
    return {
      ok: false,
      reason: 'Invalid',
      message: `${type} keys are not supported here (${parsed.message}); use ssh-keygen -t ed25519`,
      fingerprint,
    }
  if (type === 'ssh-rsa') {
    const bits = rsaBits(blob) ?? 0
    if (bits < MIN_RSA_BITS)
      return {
        ok: false,
        reason: 'Weak',
        message: `RSA keys need at least ${MIN_RSA_BITS} bits, this one has ${bits}; use ssh-keygen -t ed25519`,
        fingerprint,
      }
    return { ok: true, fingerprint, type, bits }
  }
  return { ok: true, fingerprint, type }
}
