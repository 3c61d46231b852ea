import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { responseMetrics } from './response-metrics.js'

const series = async (registry: Registry) =>
  (await registry.metrics()).split('\n').filter((line) => line.startsWith('hostplane_serve_responses_total'))

describe('response metrics', () => {
  it('counts every response under its status code by the time /metrics is scraped', async () => {
    const registry = new Registry()
    const count = responseMetrics(registry)
    for (const status of [200, 200, 404, 200, 304]) count(status)
    assert.deepEqual(await series(registry), [
      'hostplane_serve_responses_total{code="200"} 3',
      'hostplane_serve_responses_total{code="404"} 1',
      'hostplane_serve_responses_total{code="304"} 1',
    ])
  })

  it('keeps totals across scrapes, adding only the responses since the last one', async () => {
    const registry = new Registry()
    const count = responseMetrics(registry)
    count(200)
    await series(registry)
    assert.deepEqual(await series(registry), ['hostplane_serve_responses_total{code="200"} 1'])
    count(200)
    count(500)
    assert.deepEqual(await series(registry), [
      'hostplane_serve_responses_total{code="200"} 2',
      'hostplane_serve_responses_total{code="500"} 1',
    ])
  })
})
