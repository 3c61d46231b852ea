import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { csrfRefusal, type CsrfInput } from './csrf.js'

const origin = 'https://panel.example.test'
const post = (input: Partial<CsrfInput>): CsrfInput => ({
  method: 'POST',
  bearer: false,
  publicOrigin: origin,
  expected: 'the-session-token',
  ...input,
})

describe('csrfRefusal', () => {
  const passes: readonly [string, CsrfInput][] = [
    ['a GET', post({ method: 'GET' })],
    ['a HEAD without anything', post({ method: 'HEAD', expected: undefined })],
    [
      'a POST without a live session (its authentication refuses it)',
      post({ origin: 'https://evil.test', expected: undefined }),
    ],
    ['a bearer-token POST without a token', post({ bearer: true })],
    [
      'a same-origin POST with the token',
      post({ origin, fetchSite: 'same-origin', token: 'the-session-token' }),
    ],
    ['a POST with the token from a client that sends no Origin', post({ token: 'the-session-token' })],
    [
      'a DELETE typed by the user (Sec-Fetch-Site none)',
      post({ method: 'DELETE', fetchSite: 'none', token: 'the-session-token' }),
    ],
  ]
  for (const [name, input] of passes)
    it(`lets through ${name}`, () => assert.equal(csrfRefusal(input), undefined))

  const refused: readonly [string, CsrfInput, RegExp][] = [
    ['a POST without a token', post({ origin }), /no CSRF token/],
    ['a POST with another token', post({ origin, token: 'guess' }), /does not match/],
    [
      'a POST from another origin',
      post({ origin: 'https://evil.test', token: 'the-session-token' }),
      /origin https:\/\/evil/,
    ],
    ['a POST from an opaque origin', post({ origin: 'null', token: 'the-session-token' }), /origin null/],
    ['a cross-site POST', post({ fetchSite: 'cross-site', token: 'the-session-token' }), /cross-site/],
    [
      'a same-site (sibling host) PUT',
      post({ method: 'PUT', fetchSite: 'same-site', token: 'the-session-token' }),
      /same-site/,
    ],
  ]
  for (const [name, input, why] of refused)
    it(`refuses ${name}`, () => assert.match(csrfRefusal(input) ?? '', why))
})
