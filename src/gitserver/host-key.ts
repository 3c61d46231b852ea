/**
 * The gitserver's SSH host key: read from a file (a mounted Secret in an install), or, when asked,
 * generated on first start into that file (mode 0600) and reused afterwards, so clients' known_hosts
 * entries stay valid across restarts as long as the volume does.
 */
import { readFile, writeFile } from 'node:fs/promises'
import ssh2 from 'ssh2'

/**
 * A new ed25519 key in OpenSSH format. ssh2's generator drops the leading zero bytes of a public
 * key that starts with one (mscdex/ssh2#1513: about 1 key in 256), and its own parser then refuses
 * the pair; such a pair is drawn again, so every key returned parses.
 */
export function generateEd25519Key(): string {
  for (let attempt = 0; attempt < 32; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519')
    if (
      !(ssh2.utils.parseKey(pair.private) instanceof Error) &&
      !(ssh2.utils.parseKey(pair.public) instanceof Error)
    )
      return pair.private
  }
  throw new Error('ssh2 generated no ed25519 key it could read in 32 attempts')
}

export async function loadHostKey(file: string, generate: boolean): Promise<string> {
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' && generate) return undefined
    throw new Error(`cannot read the host key ${file}: ${error.message}`)
  })
  const key = existing ?? generateEd25519Key()
  const parsed = ssh2.utils.parseKey(key)
  if (parsed instanceof Error || !parsed.isPrivateKey())
    throw new Error(`${file} is not an unencrypted OpenSSH private key`)
  if (existing === undefined) await writeFile(file, key, { mode: 0o600, flag: 'wx' })
  return key
}

/** The host key's public line (`ssh-ed25519 AAAA…`), for known_hosts. */
export function publicHostKey(privateKey: string): string {
  const parsed = ssh2.utils.parseKey(privateKey)
  if (parsed instanceof Error) throw parsed
  return `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`
}
