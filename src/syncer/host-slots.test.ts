import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HostBusy, HostSlots } from './host-slots.js'

describe('HostSlots', () => {
  it('defers a site whose host is at its limit instead of making it wait', async () => {
    const slots = new HostSlots({ global: 8, perHost: 2 })
    await slots.acquire('slow.example')
    await slots.acquire('slow.example')
    await assert.rejects(
      slots.acquire('slow.example'),
      (e: unknown) => e instanceof HostBusy && e.retryAfterMs > 0,
    )
  })

  it('lets other hosts proceed while one host is saturated', async () => {
    const slots = new HostSlots({ global: 3, perHost: 2 })
    await slots.acquire('slow.example')
    await slots.acquire('slow.example')
    const release = await slots.acquire('fast.example')
    assert.equal(slots.inUse('fast.example'), 1)
    release()
    assert.equal(slots.inUse('fast.example'), 0)
  })

  it('queues beyond the global limit and hands the slot over on release, once per release', async () => {
    const slots = new HostSlots({ global: 1, perHost: 4 })
    const first = await slots.acquire('a.example')
    let second = false
    const waiting = slots.acquire('b.example').then((release) => {
      second = true
      return release
    })
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(second, false)
    first()
    first()
    const release = await waiting
    assert.equal(slots.inUse(), 1)
    release()
    assert.equal(slots.inUse(), 0)
  })
})
