import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { containsDesired } from './apply.js'

const cases: { name: string; live: unknown; desired: unknown; contained: boolean }[] = [
  {
    name: 'fields the server added (defaults, metadata) do not count as a difference',
    live: { a: 1, b: { c: 2, uid: 'x' } },
    desired: { b: { c: 2 } },
    contained: true,
  },
  { name: 'a changed value is a difference', live: { a: 1 }, desired: { a: 2 }, contained: false },
  { name: 'a missing field is a difference', live: {}, desired: { a: { b: 1 } }, contained: false },
  {
    name: 'a list with an extra item is a difference (we own the whole list)',
    live: { l: [1, 2] },
    desired: { l: [1] },
    contained: false,
  },
  { name: 'lists compare in order', live: { l: [2, 1] }, desired: { l: [1, 2] }, contained: false },
  {
    name: 'objects in lists may carry extra fields',
    live: { l: [{ a: 1, z: 0 }] },
    desired: { l: [{ a: 1 }] },
    contained: true,
  },
  { name: 'key order does not matter', live: { b: 1, a: 2 }, desired: { a: 2, b: 1 }, contained: true },
]

describe('containsDesired', () => {
  for (const c of cases) it(c.name, () => assert.equal(containsDesired(c.live, c.desired), c.contained))
})
