import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import { Counter, Registry } from 'prom-client'
import { opsRoutes } from './ops-routes.js'

describe('ops routes', () => {
  it('answer liveness, readiness and metrics the way probes and Prometheus expect', async () => {
    const registry = new Registry()
    new Counter({ name: 'hostplane_test_total', help: 'test', registers: [registry] }).inc()
    let ready = false
    const app = Fastify()
    await app.register(opsRoutes, { registry, ready: () => ready })
    assert.equal((await app.inject('/healthz')).statusCode, 200)
    assert.equal((await app.inject('/readyz')).statusCode, 503)
    ready = true
    assert.equal((await app.inject('/readyz')).statusCode, 200)
    const metrics = await app.inject('/metrics')
    assert.match(String(metrics.headers['content-type']), /text\/plain/)
    assert.match(metrics.body, /hostplane_test_total 1/)
    await app.close()
  })
})
