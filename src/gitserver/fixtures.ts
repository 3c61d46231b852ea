/** Public keys for the gitserver's unit tests: lines ssh-keygen wrote, and fresh RSA keys of any size. */
import { generateKeyPairSync } from 'node:crypto'

/** `ssh-keygen -l` prints SHA256:6u45FKGNpRfXMFmdYjeguH7gP/lP4xVB1ulwNtceUSo for it. */
export const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN9lHBufYAXmvFGw4Cz8Ivg8qGS6wTNgRO8dC248IaQn test'
export const DSA =
  'ssh-dss AAAAB3NzaC1kc3MAAACBAL3I7Kgp3xji6bO6C7gofYLEnRSUr5aWLNuN3+YppmbxXxEzdWH8SXt4Di5XsdSeY640zN3vOBMNzZ/G89z70hLzdUpobBHCdEcwrSRYI/jtRhk1Q+MtDUhSo0MUti1rNbGKwkOMZGFWEiTP2FuzmzeKcd80Pn3tjgOpG9zsB0oTAAAAFQCGjZjlqN1zXvqcTSFs5eskyDPTEQAAAIEAgUsKocTtxBfbnU27ziIdJf4kdlNk0646SPsONXCAdGZk2A6/pZf3FlEuUqwa2ldmx6ODZdigUtLGK9I56ovNQ7UyqlCjXVU6lUk1MF8mjUzMHTgV+GWjMzTOs/IThMdP+Ji2lWSEozTnf/AjBlXAf2IE64YNpxgLJbK8IT07NFoAAACARAnyEm05HJs8vVejAmVL8+nu0K6mGpEXqI9lsmDYOzV/IYxr8kAdVqRJGeGWz8SCB85sc/wnzilaDMZq5uLMEcEwnu3QCpNTxF0RfxkrGKZwn35JUuUnTHavJhUtETNCrzI53Lf9OQY3RRaSXQpIy7HiWlGlWe1ONR1inKzyAOQ= test'
export const ED_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB88RkkcgmaJ74Z72F/tDmgAj/eav6QLY18DxphKlu9q a'
export const ED_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMu44pe+s4erslHZt5c3jvbthDoSRVi3BRD9jzYPHOmZ b'

/** An OpenSSH `ssh-rsa` line of a fresh key with `bits` bits. */
export function rsaLine(bits: number): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits })
  const { n = '', e = '' } = publicKey.export({ format: 'jwk' })
  const mpint = (b64url: string) => {
    const bytes = Buffer.from(b64url, 'base64url')
    return (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes
  }
  const field = (value: Buffer) => Buffer.concat([Buffer.alloc(4), value]).fill(0, 0, 4)
  const parts = [Buffer.from('ssh-rsa'), mpint(e), mpint(n)].map((value) => {
    const out = field(value)
    out.writeUInt32BE(value.length, 0)
    return out
  })
  return `ssh-rsa ${Buffer.concat(parts).toString('base64')} test`
}
