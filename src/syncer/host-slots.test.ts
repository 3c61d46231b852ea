import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { HostSlots } from './host-slots.js'
import { SyncMetrics } from './sync-metrics.js'

const settle = () => new Promise((resolve) => setImmediate(resolve))

/** Starts an acquire and records, in `granted`, the name it was given once it holds a slot. */
function waitFor(slots: HostSlots, host: string, name: string, granted: string[], options = {}) {
  return slots.acquire(host, options).then((release) => {
    granted.push(name)
    return release
  })
}

describe('HostSlots', () => {
  it('makes a site whose host is at its limit wait until a slot frees, then hands it that slot', async () => {
    const slots = new HostSlots({ global: 8, perHost: 2 })
    const first = await slots.acquire('slow.example')
    await slots.acquire('slow.example')
    const granted: string[] = []
    const third = waitFor(slots, 'slow.example', 'third', granted)
    await settle()
    assert.deepEqual(granted, [])
    assert.equal(slots.waiting('slow.example'), 1)
    first()
    first()
    await third
    assert.deepEqual(granted, ['third'])
    assert.equal(slots.inUse('slow.example'), 2)
    assert.equal(slots.waiting(), 0)
  })

  it('starts waiting sites in due order, earliest first, and in arrival order among equals', async () => {
    const slots = new HostSlots({ global: 8, perHost: 1 })
    const release = await slots.acquire('forge.example')
    const granted: string[] = []
    // Each one releases as soon as it holds the slot, so the order of grants is the queue's order.
    const waits = [
      ['due 30', 30],
      ['due 10 a', 10],
      ['due 20', 20],
      ['due 10 b', 10],
    ].map(([name, due]) =>
      waitFor(slots, 'forge.example', String(name), granted, { due }).then((done) => done()),
    )
    release()
    await Promise.all(waits)
    assert.deepEqual(granted, ['due 10 a', 'due 10 b', 'due 20', 'due 30'])
  })

  it('lets other hosts proceed while one host is saturated', async () => {
    const slots = new HostSlots({ global: 3, perHost: 2 })
    await slots.acquire('slow.example')
    await slots.acquire('slow.example')
    const granted: string[] = []
    void waitFor(slots, 'slow.example', 'slow', granted)
    const release = await waitFor(slots, 'fast.example', 'fast', granted)
    assert.deepEqual(granted, ['fast'])
    assert.equal(slots.inUse('fast.example'), 1)
    release()
    assert.equal(slots.inUse('fast.example'), 0)
  })

  it('holds the global limit, giving a freed slot to the earliest-due site of a host with room', async () => {
    const slots = new HostSlots({ global: 2, perHost: 1 })
    const a = await slots.acquire('a.example', { due: 0 })
    const b = await slots.acquire('b.example', { due: 0 })
    const granted: string[] = []
    void waitFor(slots, 'a.example', 'a, due 1', granted, { due: 1 })
    void waitFor(slots, 'c.example', 'c, due 3', granted, { due: 3 })
    void waitFor(slots, 'd.example', 'd, due 2', granted, { due: 2 })
    await settle()
    assert.deepEqual(granted, [])
    assert.equal(slots.inUse(), 2)
    a()
    await settle()
    assert.deepEqual(granted, ['a, due 1'])
    assert.equal(slots.inUse(), 2)
    assert.equal(slots.waiting(), 2)
    b()
    await settle()
    assert.deepEqual(granted, ['a, due 1', 'd, due 2'])
    assert.equal(slots.inUse(), 2)
  })

  it('takes a cancelled site out of the queue, and a cancel after the grant changes nothing', async () => {
    const slots = new HostSlots({ global: 8, perHost: 1 })
    const release = await slots.acquire('forge.example')
    const cancel = new AbortController()
    const granted: string[] = []
    const gone = waitFor(slots, 'forge.example', 'cancelled', granted, { signal: cancel.signal })
    const next = new AbortController()
    const kept = waitFor(slots, 'forge.example', 'kept', granted, { signal: next.signal })
    cancel.abort(new Error('site deleted'))
    await assert.rejects(gone, /site deleted/)
    assert.equal(slots.waiting('forge.example'), 1)
    release()
    const keptRelease = await kept
    next.abort()
    assert.deepEqual(granted, ['kept'])
    assert.equal(slots.inUse('forge.example'), 1)
    keptRelease()
    keptRelease()
    assert.equal(slots.inUse(), 0)
    assert.equal(slots.waiting(), 0)
  })

  it('reports queue lengths for the longest queues by host and sums the rest, and the wait time', async () => {
    const registry = new Registry()
    let clock = 1000
    const slots = new HostSlots({
      global: 100,
      perHost: 1,
      metrics: new SyncMetrics(registry),
      now: () => clock,
    })
    const releases = []
    for (let host = 0; host < 12; host++) {
      releases.push(await slots.acquire(`h${host}.example`))
      for (let waiting = 0; waiting <= host; waiting++) void slots.acquire(`h${host}.example`)
    }
    const gauge = await registry.getSingleMetric('hostplane_syncer_host_queue_length')?.get()
    const values = new Map(gauge?.values.map((v) => [String(v.labels.host), v.value]))
    assert.equal(values.size, 11)
    assert.equal(values.get('h11.example'), 12)
    assert.equal(values.get('h2.example'), 3)
    assert.equal(values.get('(other)'), 1 + 2)
    clock += 2500
    releases[0]?.()
    assert.match(await registry.metrics(), /^hostplane_syncer_host_wait_seconds_sum 2\.5$/m)
  })
})
