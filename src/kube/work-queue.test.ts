import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { silentLogger } from '../ops/log.js'
import { type HandleResult, WorkQueue } from './work-queue.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits for a condition instead of a fixed time, so a loaded machine does not fail the test. */
async function until(condition: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(5)
  }
}

/** A queue whose handler records calls and runs `body` for each. */
function recordingQueue(body: (key: string) => Promise<HandleResult> = async () => {}, concurrency = 2) {
  const calls: string[] = []
  const queue = new WorkQueue({
    name: 'test',
    concurrency,
    baseDelayMs: 20,
    maxDelayMs: 200,
    log: silentLogger(),
    registry: new Registry(),
    handle: async (key) => {
      calls.push(key)
      return body(key)
    },
  })
  return { queue, calls }
}

describe('WorkQueue', () => {
  it('handles a key added many times while waiting only once', async () => {
    const { queue, calls } = recordingQueue()
    for (let i = 0; i < 5; i++) queue.add('ns/a')
    queue.add('ns/b')
    queue.start()
    await until(() => calls.length >= 2)
    await sleep(20)
    assert.deepEqual(calls.sort(), ['ns/a', 'ns/b'])
    await queue.shutdown()
  })

  it('never runs one key twice at once, and runs it once more for adds during its run', async () => {
    let active = 0
    let maxActive = 0
    const { queue, calls } = recordingQueue(async () => {
      active++
      maxActive = Math.max(maxActive, active)
      await sleep(30)
      active--
    }, 4)
    queue.start()
    queue.add('ns/a')
    await sleep(5)
    for (let i = 0; i < 10; i++) queue.add('ns/a')
    await until(() => calls.length >= 2 && active === 0)
    await sleep(50)
    assert.equal(maxActive, 1)
    assert.equal(calls.length, 2)
    await queue.shutdown()
  })

  it('runs at most `concurrency` keys together', async () => {
    let active = 0
    let maxActive = 0
    const { queue, calls } = recordingQueue(async () => {
      active++
      maxActive = Math.max(maxActive, active)
      await sleep(20)
      active--
    }, 3)
    queue.start()
    for (let i = 0; i < 12; i++) queue.add(`ns/${i}`)
    await until(() => calls.length === 12 && active === 0)
    assert.equal(calls.length, 12)
    assert.equal(maxActive, 3)
    await queue.shutdown()
  })

  it('retries a failing key with growing delays while other keys keep flowing', async () => {
    const times: number[] = []
    const { queue, calls } = recordingQueue(async (key) => {
      if (key === 'ns/bad') {
        times.push(Date.now())
        if (times.length < 4) throw new Error('transient')
      }
    })
    queue.start()
    queue.add('ns/bad')
    queue.add('ns/good')
    await until(() => times.length === 4)
    assert.equal(times.length, 4, 'the failing key succeeded on its fourth try')
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number))
    assert.ok((gaps[2] as number) > (gaps[0] as number), `delays grow: ${gaps.join(', ')} ms`)
    assert.ok(calls.includes('ns/good'))
    await queue.shutdown()
  })

  it('requeues a key after the delay its handler asks for', async () => {
    let runs = 0
    const { queue } = recordingQueue(async () => (++runs === 1 ? { requeueAfterMs: 50 } : undefined))
    queue.start()
    const added = Date.now()
    queue.add('ns/a')
    await until(() => runs === 2)
    assert.ok(Date.now() - added >= 50, 'the second run waited for the requested delay')
    await queue.shutdown()
  })

  it('waits for running handlers on shutdown and takes no new keys', async () => {
    let finished = false
    const { queue, calls } = recordingQueue(async () => {
      await sleep(40)
      finished = true
    })
    queue.start()
    queue.add('ns/a')
    await sleep(5)
    await queue.shutdown()
    assert.equal(finished, true)
    queue.add('ns/b')
    await sleep(20)
    assert.deepEqual(calls, ['ns/a'])
  })
})
