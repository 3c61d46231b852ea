import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ControllerLifecycle } from './controller-lifecycle.js'

/** Caches and a queue that log what happens to them, in order. */
function parts() {
  const log: string[] = []
  const cache = (name: string) => ({
    start: async () => void log.push(`start ${name}`),
    stop: async () => void log.push(`stop ${name}`),
  })
  const queue = {
    start: () => void log.push('queue runs'),
    shutdown: async () => void log.push('queue drained'),
  }
  return { log, caches: [cache('a'), cache('b')], queue }
}

describe('ControllerLifecycle', () => {
  it('runs the queue only after every cache is synced and the gate opened; stops caches before draining the queue', async () => {
    const { log, caches, queue } = parts()
    let open: () => void = () => {}
    const lifecycle = new ControllerLifecycle({
      caches,
      queue,
      gate: () => new Promise<void>((resolve) => (open = resolve)),
    })
    const starting = lifecycle.start()
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(log, ['start a', 'start b'])
    assert.equal(lifecycle.ready, false, 'waiting at the gate')
    open()
    await starting
    assert.equal(lifecycle.ready, true)
    await lifecycle.stop()
    assert.deepEqual(log.slice(2), ['queue runs', 'stop a', 'stop b', 'queue drained'])
  })

  it('a controller stopped while waiting at the gate never runs its queue, and its start returns', async () => {
    const { log, caches, queue } = parts()
    const lifecycle = new ControllerLifecycle({
      caches,
      queue,
      gate: (stopping) =>
        new Promise<void>((resolve) => stopping.addEventListener('abort', () => resolve(), { once: true })),
    })
    const starting = lifecycle.start()
    await new Promise((resolve) => setImmediate(resolve))
    await lifecycle.stop()
    await starting
    assert.equal(lifecycle.ready, false)
    assert.ok(!log.includes('queue runs'))
  })

  it('opens the gate once the caches it needs are synced, while another cache is still syncing; the queue waits for all', async () => {
    const { log, queue } = parts()
    let synced: () => void = () => {}
    const claimant = { start: async () => void log.push('claimant synced'), stop: async () => {} }
    // A kind the API server does not serve yet: its informer retries until the CRD arrives.
    const late = {
      start: () => new Promise<void>((resolve) => (synced = resolve)),
      stop: async () => {},
    }
    const lifecycle = new ControllerLifecycle({
      caches: [claimant, late],
      queue,
      gate: async () => void log.push('claims loaded'),
      gateAfter: [claimant],
    })
    const starting = lifecycle.start()
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(log, ['claimant synced', 'claims loaded'])
    assert.equal(lifecycle.ready, false)
    synced()
    await starting
    assert.deepEqual(log, ['claimant synced', 'claims loaded', 'queue runs'])
  })
})
