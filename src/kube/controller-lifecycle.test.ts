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
})
