import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Type } from '@sinclair/typebox'
import { type DocumentedRoute, openApiDocument, SESSION_ONLY } from './openapi.js'

const INFO = { title: 'panel', version: '1' }
const ROUTES: DocumentedRoute[] = [
  { method: 'GET', url: '/api/v1/staticsites', schema: { response: { 200: Type.Object({}) } } },
  {
    method: 'GET',
    url: '/api/v1/admin/customers',
    schema: { security: SESSION_ONLY, response: { 200: Type.Object({}) } },
  },
]

interface Document {
  security: unknown
  components: { securitySchemes: Record<string, { type: string; in?: string; name?: string }> }
  paths: Record<string, { get: { security?: unknown } }>
}

describe('the OpenAPI document’s security', () => {
  it('names the session cookie beside API tokens when the panel signs people in, and the admin routes take the session only', () => {
    const document = openApiDocument(ROUTES, INFO, { sessionCookie: '__Host-s' }) as unknown as Document
    assert.deepEqual(document.security, [{ apiToken: [] }, { session: [] }])
    assert.deepEqual(
      { type: 'apiKey', in: 'cookie', name: '__Host-s' },
      (({ type, in: where, name }) => ({ type, in: where, name }))(
        document.components.securitySchemes.session ?? assert.fail('no session scheme'),
      ),
    )
    assert.equal(document.paths['/api/v1/staticsites']?.get.security, undefined, 'either scheme')
    assert.deepEqual(document.paths['/api/v1/admin/customers']?.get.security, [{ session: [] }])
  })

  it('declares API tokens alone without sign-in', () => {
    const document = openApiDocument(ROUTES.slice(0, 1), INFO) as unknown as Document
    assert.deepEqual(document.security, [{ apiToken: [] }])
    assert.deepEqual(Object.keys(document.components.securitySchemes), ['apiToken'])
  })
})
