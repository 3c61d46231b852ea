import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { silentLogger } from '../ops/log.js'
import { AuditLog } from './audit/audit-log.js'
import { BearerAuth } from './auth/bearer.js'
import { FailureLimiter } from './auth/failure-limiter.js'
import { PanelService } from './customer-service.js'
import { PanelClients } from './kube-clients.js'
import { panelApp } from './panel-app.js'
import type { TokenRecord, TokenStore } from './tokens/token-store.js'

const GOOD = `hpt_0123456789abcdef_${'a'.repeat(43)}`

/** An API server nobody listens on: any Kubernetes request fails to connect. */
const unreachable = {
  getCurrentCluster: () => ({ server: 'https://127.0.0.1:9' }),
  applyToHTTPSOptions: async () => {},
}

describe('the panel app without an API server', () => {
  const clients = new PanelClients(unreachable, { timeoutMs: 2000 })
  const tokens = {
    verify: async (token: string): Promise<TokenRecord | undefined> =>
      token === GOOD
        ? { id: '0123456789abcdef', customer: 'acme', description: 't', createdAt: '' }
        : undefined,
  }
  let app: Awaited<ReturnType<typeof panelApp>>
  const auditFailures: string[] = []
  const audit = new AuditLog(clients.auditWriter, {
    log: silentLogger(),
    onFailure: (stage) => auditFailures.push(stage),
  })

  before(async () => {
    app = await panelApp({
      panel: new PanelService({
        clients,
        tokens: tokens as unknown as TokenStore,
        audit,
        auditNamespace: audit.namespace,
      }),
      auth: new BearerAuth(tokens, new FailureLimiter({ perMinute: 3 })),
      log: silentLogger(),
    })
  })
  after(async () => {
    await app.close()
    clients.close()
  })

  const request = (
    method: 'GET' | 'PUT' | 'POST',
    url: string,
    token?: string,
    payload?: unknown,
    address = '10.0.0.1',
  ) =>
    app.inject({
      method,
      url,
      remoteAddress: address,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    })

  it('documents every /api/v1 route in an OpenAPI 3.1 document, with its schemas, served without a token', async () => {
    const answer = await request('GET', '/api/openapi.json')
    assert.equal(answer.statusCode, 200)
    const document = answer.json<{
      openapi: string
      paths: Record<string, Record<string, Record<string, unknown>>>
    }>()
    assert.equal(document.openapi, '3.1.0')
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    )
    assert.deepEqual(operations.sort(), [
      'DELETE /api/v1/sshkeys/{name}',
      'DELETE /api/v1/staticsites/{name}',
      'DELETE /api/v1/tokens/{id}',
      'DELETE /api/v1/webspaces/{name}',
      'GET /api/v1/backups',
      'GET /api/v1/backups/{name}/download',
      'GET /api/v1/domains',
      'GET /api/v1/me',
      'GET /api/v1/releases',
      'GET /api/v1/sshkeys',
      'GET /api/v1/staticsites',
      'GET /api/v1/staticsites/{name}',
      'GET /api/v1/tokens',
      'GET /api/v1/usage',
      'GET /api/v1/webspaces',
      'GET /api/v1/webspaces/{name}',
      'GET /api/v1/webspaces/{name}/build',
      'GET /api/v1/webspaces/{name}/build/events',
      'POST /api/v1/sshkeys',
      'POST /api/v1/staticsites',
      'POST /api/v1/staticsites/{name}/rollback',
      'POST /api/v1/staticsites/{name}/sync',
      'POST /api/v1/tokens',
      'POST /api/v1/webspaces',
      'POST /api/v1/webspaces/{name}/rollback',
      'PUT /api/v1/staticsites/{name}',
      'PUT /api/v1/webspaces/{name}',
    ])
    const put = document.paths['/api/v1/staticsites/{name}']?.put as {
      parameters: { name: string; in: string }[]
      requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } }
      responses: Record<string, unknown>
    }
    assert.deepEqual(
      put.parameters.map((p) => [p.in, p.name]),
      [['path', 'name']],
    )
    assert.ok(
      put.requestBody.content['application/json'].schema.properties.spec,
      'the StaticSite spec schema',
    )
    assert.deepEqual(Object.keys(put.responses).sort(), [
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '422',
      '429',
      '503',
    ])
    const events = document.paths['/api/v1/webspaces/{name}/build/events']?.get as {
      responses: Record<string, { content?: Record<string, unknown> }>
    }
    assert.deepEqual(Object.keys(events.responses['200']?.content ?? {}), ['text/event-stream'])
    assert.ok(!JSON.stringify(document).includes('Symbol'))
  })

  it('refuses a request without a valid token with 401 and a JSON error', async () => {
    const answer = await request('GET', '/api/v1/staticsites')
    assert.equal(answer.statusCode, 401)
    assert.equal(answer.json<{ error: { code: string } }>().error.code, 'HP_ERR_PANEL_UNAUTHENTICATED')
  })

  it('answers a malformed name as a missing object, before asking Kubernetes', async () => {
    for (const name of ['..', 'UPPER', 'a_b', '%2E%2E', 'a%2Fb']) {
      const answer = await request('GET', `/api/v1/staticsites/${name}`, GOOD)
      assert.equal(answer.statusCode, 404, name)
    }
  })

  it('answers a body that fails its schema with 422 and the fields', async () => {
    const answer = await request('POST', '/api/v1/webspaces', GOOD, { name: 'w' })
    assert.equal(answer.statusCode, 422)
    assert.deepEqual(answer.json<{ error: { fields: unknown } }>().error.fields, [
      { field: 'spec', message: 'Required value' },
    ])
    const notJson = await app.inject({
      method: 'POST',
      url: '/api/v1/webspaces',
      headers: { authorization: `Bearer ${GOOD}`, 'content-type': 'application/json' },
      payload: '{',
    })
    assert.equal(notJson.statusCode, 400)
  })

  it('answers 503 when the Kubernetes API cannot be reached', async () => {
    const answer = await request('GET', '/api/v1/staticsites', GOOD)
    assert.equal(answer.statusCode, 503)
    assert.equal(answer.json<{ error: { code: string } }>().error.code, 'HP_ERR_PANEL_UNAVAILABLE')
  })

  it('refuses a change it cannot record in the audit log with 503 HP_ERR_PANEL_AUDIT_UNAVAILABLE, and counts the failure', async () => {
    const answer = await request('POST', '/api/v1/sshkeys', GOOD, {
      name: 'laptop',
      publicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${'a'.repeat(43)}`,
    })
    assert.equal(answer.statusCode, 503)
    assert.equal(answer.json<{ error: { code: string } }>().error.code, 'HP_ERR_PANEL_AUDIT_UNAVAILABLE')
    assert.deepEqual(auditFailures, ['attempt'])
  })

  it('refuses an address after too many failed attempts, with Retry-After, even with a good token', async () => {
    for (let i = 0; i < 3; i++)
      assert.equal((await request('GET', '/api/v1/me', 'wrong', undefined, '10.9.9.9')).statusCode, 401)
    const refused = await request('GET', '/api/v1/me', GOOD, undefined, '10.9.9.9')
    assert.equal(refused.statusCode, 429)
    assert.ok(Number(refused.headers['retry-after']) > 0)
  })

  it('answers an unknown endpoint with a JSON 404', async () => {
    const answer = await request('GET', '/api/v2/nothing')
    assert.equal(answer.statusCode, 404)
    assert.equal(answer.json<{ error: { code: string } }>().error.code, 'HP_ERR_PANEL_NOT_FOUND')
  })
})
