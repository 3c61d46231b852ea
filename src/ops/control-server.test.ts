import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { pino } from 'pino'
import { sendRequest } from '../../test/serving/http-request.js'
import { controlServer } from './control-server.js'

describe('a control endpoint', () => {
  it('answers a client that half-closes the connection after its request', async () => {
    const app = controlServer(pino({ level: 'silent' }))
    // A route that answers later, as a status or metrics route does: the client's end is read first.
    app.get('/status', async () => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      return { ok: true }
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const { port } = app.server.address() as AddressInfo
      const response = await sendRequest({
        port,
        method: 'GET',
        path: '/status',
        headers: {},
        halfClose: true,
      })
      assert.equal(response.status, 200)
      assert.deepEqual(JSON.parse(response.body), { ok: true })
    } finally {
      await app.close()
    }
  })
})
