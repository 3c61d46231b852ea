import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { safeNext } from './sign-in.js'

describe('safeNext: where a sign-in returns to', () => {
  const kept = ['/', '/sites', '/sites/blog?tab=revisions#top', '/a/%2F%2Fevil.test']
  for (const next of kept) it(`keeps the panel path ${next}`, () => assert.equal(safeNext(next, '/'), next))

  const replaced: readonly unknown[] = [
    undefined,
    ['/sites'],
    '',
    'sites',
    'https://evil.test/',
    '//evil.test/',
    '/\\evil.test/',
    '/sites\\..\\x',
    '/sites\r\nSet-Cookie: x=1',
    '/ sites',
    '/sites/ä',
    'javascript:alert(1)',
  ]
  for (const next of replaced)
    it(`replaces ${JSON.stringify(next)} by the fallback`, () =>
      assert.equal(safeNext(next, '/home'), '/home'))
})
