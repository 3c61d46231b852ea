import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hashToken, isTokenId, newToken, tokenId, tokenMatches } from './token.js'

describe('API tokens', () => {
  it('are hpt_<16 hex id>_<43 base64url characters>, and only their SHA-256 is kept', () => {
    const { id, token, sha256 } = newToken()
    assert.match(token, /^hpt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    assert.equal(tokenId(token), id)
    assert.equal(sha256, hashToken(token))
    assert.ok(!sha256.includes(token.slice(21)))
  })

  it('two tokens never share an id or a secret', () => {
    const [a, b] = [newToken(), newToken()]
    assert.notEqual(a.id, b.id)
    assert.notEqual(a.token, b.token)
  })

  const malformed: [string, string][] = [
    ['empty', ''],
    ['another prefix', `xyz_0123456789abcdef_${'a'.repeat(43)}`],
    ['a short id', `hpt_0123_${'a'.repeat(43)}`],
    ['a short secret', 'hpt_0123456789abcdef_abc'],
    ['a path in the id', `hpt_../../secrets_${'a'.repeat(43)}`],
    ['trailing text', `hpt_0123456789abcdef_${'a'.repeat(43)} x`],
  ]
  for (const [what, text] of malformed)
    it(`names no record for ${what}`, () => assert.equal(tokenId(text), undefined))

  it('matches only the token whose hash was stored', () => {
    const { token, sha256 } = newToken()
    assert.equal(tokenMatches(token, sha256), true)
    const changed = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`
    assert.equal(tokenMatches(changed, sha256), false)
    assert.equal(tokenMatches(token, 'not hex'), false)
  })

  it('accepts only 16 hex digits as a record id', () => {
    assert.equal(isTokenId('0123456789abcdef'), true)
    assert.equal(isTokenId('0123456789abcdeg'), false)
    assert.equal(isTokenId('../0123456789abc'), false)
  })
})
