import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DSA, ED25519, rsaLine } from './fixtures.js'
import { classifyKey, fingerprintOf, rsaBits } from './keys.js'

describe('classifyKey', () => {
  it('accepts an ed25519 key with the fingerprint ssh-keygen -l prints', () => {
    const verdict = classifyKey(ED25519)
    assert.equal(verdict.ok, true)
    assert.equal(verdict.ok && verdict.fingerprint, 'SHA256:6u45FKGNpRfXMFmdYjeguH7gP/lP4xVB1ulwNtceUSo')
    assert.equal(
      fingerprintOf(Buffer.from(ED25519.split(' ')[1] ?? '', 'base64')),
      'SHA256:6u45FKGNpRfXMFmdYjeguH7gP/lP4xVB1ulwNtceUSo',
    )
  })

  it('accepts RSA of 2048 bits and refuses RSA of 1024 as weak', () => {
    const strong = classifyKey(rsaLine(2048))
    assert.deepEqual([strong.ok, strong.ok && strong.bits], [true, 2048])
    const weak = classifyKey(rsaLine(1024))
    assert.equal(weak.ok, false)
    assert.equal(!weak.ok && weak.reason, 'Weak')
    assert.match(!weak.ok ? weak.message : '', /at least 2048 bits, this one has 1024/)
  })

  it('refuses DSA as weak, whatever its size', () => {
    const verdict = classifyKey(DSA)
    assert.deepEqual(verdict.ok ? undefined : verdict.reason, 'Weak')
  })

  it('refuses a line whose data is not a key of the type it names', () => {
    const data = ED25519.split(' ')[1] ?? ''
    const verdict = classifyKey(`ssh-rsa ${data}`)
    assert.deepEqual(verdict.ok ? undefined : verdict.reason, 'Invalid')
  })

  it('refuses garbage and an empty line as invalid', () => {
    for (const line of ['ssh-ed25519 !!!', '', 'ssh-ed25519'])
      assert.deepEqual(classifyKey(line).ok ? undefined : 'Invalid', 'Invalid', line)
  })

  it('counts the bits of a modulus with a leading zero byte', () => {
    const data = Buffer.from(rsaLine(2048).split(' ')[1] ?? '', 'base64')
    assert.equal(rsaBits(data), 2048)
  })
})
