import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemorySessionStore } from './session-store.js'

describe('MemorySessionStore', () => {
  it('gives each value a new random id and finds it by that id only', async () => {
    const store = new MemorySessionStore<string>()
    const a = await store.create('a')
    const b = await store.create('b')
    assert.notEqual(a, b)
    assert.match(a, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(await store.get(a), 'a')
    assert.equal(await store.get(`${a}x`), undefined)
  })

  it('forgets an entry unused for the idle time, and any entry at the absolute time', async () => {
    let now = 0
    const store = new MemorySessionStore<string>({ idleMs: 100, absoluteMs: 250 }, () => now)
    const id = await store.create('s')
    for (now = 90; now < 250; now += 90) assert.equal(await store.get(id), 's', `used at ${now}`)
    now = 250
    assert.equal(await store.get(id), undefined)
    const idle = await store.create('t')
    now += 100
    assert.equal(await store.get(idle), undefined)
  })

  it('takes an entry once, and deletes', async () => {
    const store = new MemorySessionStore<string>()
    const id = await store.create('x')
    assert.equal(await store.take(id), 'x')
    assert.equal(await store.take(id), undefined)
    const other = await store.create('y')
    await store.delete(other)
    assert.equal(await store.get(other), undefined)
  })

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const store = new MemorySessionStore<string>({ maxEntries: 2 })
    const a = await store.create('a')
    const b = await store.create('b')
    await store.get(a)
    const c = await store.create('c')
    assert.deepEqual([await store.get(a), await store.get(b), await store.get(c)], ['a', undefined, 'c'])
  })
})
