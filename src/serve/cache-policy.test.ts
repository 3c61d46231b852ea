import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cacheControlFor, IMMUTABLE_CACHE_CONTROL, REVALIDATE_CACHE_CONTROL } from './cache-policy.js'

describe('cacheControlFor', () => {
  const cases: [string, string, string][] = [
    [
      'a name with a dot and 8 hex digits before the extension is immutable',
      'app.3f2a1b9c.js',
      IMMUTABLE_CACHE_CONTROL,
    ],
    ['a dash before a long hash counts too', 'chunk-0a1b2c3d4e5f6789.css', IMMUTABLE_CACHE_CONTROL],
    ['a hashed name in a directory is immutable', '/assets/logo.deadbeef01.svg', IMMUTABLE_CACHE_CONTROL],
    ['a plain name is revalidated', 'app.js', REVALIDATE_CACHE_CONTROL],
    ['a word of 8+ letters is not a hash', 'my-component.js', REVALIDATE_CACHE_CONTROL],
    ['7 hex digits are too few', 'app.3f2a1b9.js', REVALIDATE_CACHE_CONTROL],
    ['upper-case hex is not taken for a hash', 'app.3F2A1B9C.js', REVALIDATE_CACHE_CONTROL],
    ['an HTML page is revalidated', 'index.html', REVALIDATE_CACHE_CONTROL],
  ]
  for (const [name, file, expected] of cases) it(name, () => assert.equal(cacheControlFor(file), expected))
})
