import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { clearCookie, readCookie, SESSION_COOKIE, setCookie } from './cookies.js'

describe('panel cookies', () => {
  it('are __Host- cookies: Secure, Path=/, no Domain, HttpOnly, SameSite=Lax, with a lifetime', () => {
    assert.equal(
      setCookie(SESSION_COOKIE, 'abc_-1', 3600.7),
      '__Host-hostplane-session=abc_-1; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax',
    )
    assert.equal(
      clearCookie(SESSION_COOKIE),
      '__Host-hostplane-session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax',
    )
  })

  it('refuses to set a value that could inject attributes', () => {
    assert.throws(() => setCookie(SESSION_COOKIE, 'x; Domain=evil.test', 60), /base64url/)
  })

  it('reads the first cookie of a name, and only a value of the shape the panel sets', () => {
    assert.equal(
      readCookie('a=1; __Host-hostplane-session=first; __Host-hostplane-session=second', SESSION_COOKIE),
      'first',
    )
    assert.equal(readCookie('__Host-hostplane-session="quoted"', SESSION_COOKIE), undefined)
    assert.equal(readCookie('hostplane-session=x', SESSION_COOKIE), undefined)
    assert.equal(readCookie(undefined, SESSION_COOKIE), undefined)
  })
})
