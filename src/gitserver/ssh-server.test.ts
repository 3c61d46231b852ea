import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import ssh2 from 'ssh2'
import type { KeyOwner } from './claims.js'
import { generateEd25519Key } from './host-key.js'
import { fingerprintOf } from './keys.js'
import { provenOwner } from './ssh-server.js'

/** A key pair as the server sees it: the public blob, and a signer. */
function key() {
  const parsed = ssh2.utils.parseKey(generateEd25519Key())
  if (parsed instanceof Error) throw parsed
  const data = parsed.getPublicSSH()
  return { data, sign: (blob: Buffer) => parsed.sign(blob), fingerprint: fingerprintOf(data) }
}

const victim = key()
const attacker = key()
const owners = new Map<string, KeyOwner>([
  [victim.fingerprint, { customer: 'victim', fingerprint: victim.fingerprint, key: 'customer' }],
  [attacker.fingerprint, { customer: 'attacker', fingerprint: attacker.fingerprint, key: 'laptop' }],
])
const owner = (fingerprint: string) => owners.get(fingerprint)
const blob = Buffer.from('session id and userauth request')

describe('provenOwner: the identity is bound only by a signature that verifies against the key it comes with', () => {
  it('binds the owner of a key whose signature verifies', () =>
    assert.equal(
      provenOwner(
        { key: { algo: 'ssh-ed25519', data: attacker.data }, blob, signature: attacker.sign(blob) },
        owner,
      )?.customer,
      'attacker',
    ))

  it("binds nobody when the victim's key comes with the attacker's signature", () =>
    assert.equal(
      provenOwner(
        { key: { algo: 'ssh-ed25519', data: victim.data }, blob, signature: attacker.sign(blob) },
        owner,
      ),
      undefined,
    ))

  it('binds nobody for a query without a signature, even of a registered key', () =>
    assert.equal(provenOwner({ key: { algo: 'ssh-ed25519', data: victim.data } }, owner), undefined))

  it('binds nobody when the signature is over other data', () =>
    assert.equal(
      provenOwner(
        {
          key: { algo: 'ssh-ed25519', data: victim.data },
          blob,
          signature: victim.sign(Buffer.from('other')),
        },
        owner,
      ),
      undefined,
    ))

  it('binds nobody for a malformed key blob or signature, without throwing', () => {
    assert.equal(
      provenOwner(
        { key: { algo: 'ssh-ed25519', data: Buffer.from([0, 0]) }, blob, signature: Buffer.from('x') },
        owner,
      ),
      undefined,
    )
    assert.equal(
      provenOwner(
        { key: { algo: 'ssh-ed25519', data: victim.data }, blob, signature: Buffer.alloc(3) },
        owner,
      ),
      undefined,
    )
  })

  it('binds nobody for a verified key that no one registered', () => {
    const stranger = key()
    assert.equal(
      provenOwner(
        { key: { algo: 'ssh-ed25519', data: stranger.data }, blob, signature: stranger.sign(blob) },
        owner,
      ),
      undefined,
    )
  })
})
