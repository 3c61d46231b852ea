import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_PATH_LENGTH, parseRequestTarget, splitRequestTarget } from './request-path.js'

describe('parseRequestTarget', () => {
  const accepted: [string, string, string[], boolean, string][] = [
    ['the root is no segments and no trailing slash', '/', [], false, ''],
    ['segments are decoded one by one', '/a%20b/c', ['a b', 'c'], false, ''],
    ['a trailing slash marks a directory request', '/docs/', ['docs'], true, ''],
    ['empty segments collapse as in nginx', '//a///b', ['a', 'b'], false, ''],
    ['the query string is kept aside, undecoded', '/a?x=%2e%2e', ['a'], false, '?x=%2e%2e'],
    [
      'a dotfile segment is parsed (the rules refuse it later with the site 404)',
      '/.git/config',
      ['.git', 'config'],
      false,
      '',
    ],
    ['an encoded dot that is not a whole segment is fine', '/a%2eb', ['a.b'], false, ''],
  ]
  for (const [name, target, segments, trailingSlash, search] of accepted)
    it(name, () =>
      assert.deepEqual(parseRequestTarget(target), { ok: true, path: { segments, trailingSlash, search } }),
    )

  const refused: [string, string, number][] = [
    ['a raw .. segment', '/a/../b', 400],
    ['a raw . segment', '/a/./b', 400],
    ['an encoded dot-dot', '/%2e%2e/etc/passwd', 400],
    ['a mixed-case, half-encoded dot-dot', '/.%2E/etc', 400],
    ['.. hidden behind an encoded slash', '/..%2f..%2fetc/passwd', 400],
    ['an encoded slash inside a segment', '/a%2Fb', 400],
    ['an encoded backslash', '/a%5cb', 400],
    ['a raw backslash', '/..\\..\\etc\\passwd', 400],
    ['an encoded NUL', '/index.html%00.txt', 400],
    ['another control character', '/a%0d%0aSet-Cookie:x', 400],
    ['a malformed percent-escape', '/a%zz', 400],
    ['a truncated UTF-8 sequence', '/a%e2%82', 400],
    ['an asterisk target', '*', 400],
    ['a path longer than the limit', `/${'a'.repeat(MAX_PATH_LENGTH)}`, 414],
  ]
  for (const [name, target, status] of refused)
    it(`refuses ${name} with ${status}`, () =>
      assert.deepEqual(parseRequestTarget(target), { ok: false, status }))
})

describe('splitRequestTarget', () => {
  const split: [string, string, string | undefined, string][] = [
    ['the usual origin form passes unchanged', '/a?b', undefined, '/a?b'],
    ['an absolute-form target gives its authority and path', 'http://a.test/x/y?z=1', 'a.test', '/x/y?z=1'],
    ['the port stays with the authority', 'http://a.test:8080/', 'a.test:8080', '/'],
    ['an https URL and an upper-case scheme are absolute forms too', 'HTTPS://a.test/x', 'a.test', '/x'],
    ['an authority without a path is the root', 'http://a.test', 'a.test', '/'],
    ['a query right after the authority is the root’s', 'http://a.test?q=1', 'a.test', '/?q=1'],
  ]
  for (const [name, target, authority, origin] of split)
    it(name, () => assert.deepEqual(splitRequestTarget(target), { authority, target: origin }))

  const refused: [string, string][] = [
    ['an asterisk', '*'],
    ['an authority-form target (CONNECT)', 'a.test:443'],
    ['an empty authority', 'http:///etc/passwd'],
    ['user information in the authority', 'http://user:pw@a.test/'],
    ['another scheme', 'ftp://a.test/'],
  ]
  for (const [name, target] of refused)
    it(`refuses ${name}`, () => assert.equal(splitRequestTarget(target), undefined))
})
