import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { KubeApiError } from '../kube/rest.js'
import { HOSTPLANE_PACKAGE } from '../package-root.js'
import { fromKube, PANEL_ERRORS, PanelError, policyFields, unknownFields } from './errors.js'
import { fieldPath, requestError } from './request-errors.js'

const RBAC_SAID =
  'customers.hostplane.dev "b" is forbidden: User "hostplane:customer:a" cannot get resource "customers"'
const kube = (status: number, details?: unknown, said = status === 403 ? RBAC_SAID : 'said') =>
  new KubeApiError(status, 'Reason', `GET /x: ${status} ${said}`, details, said)

describe('panel errors', () => {
  const table: [string, number, boolean, string, number][] = [
    ['a missing object', 404, true, 'HP_ERR_PANEL_NOT_FOUND', 404],
    ["another customer's object (RBAC refuses it)", 403, true, 'HP_ERR_PANEL_NOT_FOUND', 404],
    ['a create a policy or quota refuses', 403, false, 'HP_ERR_PANEL_REFUSED', 403],
    ['an object that exists or changed', 409, true, 'HP_ERR_PANEL_CONFLICT', 409],
    ['an invalid object', 422, false, 'HP_ERR_PANEL_INVALID', 422],
    ['a malformed request', 400, false, 'HP_ERR_PANEL_BAD_REQUEST', 400],
    ['a failing API server', 500, false, 'HP_ERR_PANEL_UNAVAILABLE', 503],
    ['an API server that is shutting down', 503, true, 'HP_ERR_PANEL_UNAVAILABLE', 503],
  ]
  for (const [what, status, named, code, answer] of table)
    it(`${what} (${status}${named ? ', by name' : ''}) is ${answer} ${code}`, () => {
      const error = fromKube(kube(status), { named })
      assert.ok(error instanceof PanelError)
      assert.equal(error.code, code)
      assert.equal(error.status, answer)
    })

  it("a 422 carries each field and the API server's message", () => {
    const error = fromKube(
      kube(422, { causes: [{ field: 'spec.repo', message: 'Invalid value: "x": repo must be https' }] }),
      { named: false },
    ) as PanelError
    assert.deepEqual(error.fields, [
      { field: 'spec.repo', message: 'Invalid value: "x": repo must be https' },
    ])
  })

  it('an admission policy refusing an update by name is a 403 that says why, not a 404', () => {
    const said = `staticsites.hostplane.dev "s" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'p' denied request: spec.domains: x.example not allowed`
    const error = fromKube(kube(403, undefined, said), { named: true }) as PanelError
    assert.equal(error.status, 403)
    assert.deepEqual(error.fields, [{ field: 'spec.domains', message: 'x.example not allowed' }])
  })

  it('an unknown field refused by strict field validation is a field error', () => {
    const said =
      'StaticSite in version "v1alpha1" cannot be handled as a StaticSite: strict decoding error: unknown field "spec.colour", unknown field "spec.size"'
    assert.deepEqual(unknownFields(said), [
      { field: 'spec.colour', message: 'unknown field' },
      { field: 'spec.size', message: 'unknown field' },
    ])
    const error = fromKube(kube(400, undefined, said), { named: false }) as PanelError
    assert.equal(error.status, 422)
    assert.equal(unknownFields('the body is not JSON').length, 0)
  })

  it("takes the field from a hostplane admission policy's denial", () => {
    assert.deepEqual(
      policyFields(
        `staticsites.hostplane.dev "x" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'p' denied request: spec.tls.clusterIssuer: evil is not allowed: use one of a`,
      ),
      [{ field: 'spec.tls.clusterIssuer', message: 'evil is not allowed: use one of a' }],
    )
    assert.deepEqual(policyFields('exceeded quota: hostplane-quota, requested: count/staticsites=1'), [])
  })

  it('a network failure is 503, never a client mistake', () => {
    assert.equal((fromKube(new Error('ECONNREFUSED'), { named: true }) as PanelError).status, 503)
  })

  it('a malformed name in the path is 404; a body that fails its schema is 422 with the fields', () => {
    assert.equal(requestError({ message: 'x', validation: [{}], validationContext: 'params' })?.status, 404)
    const body = requestError({
      message: 'x',
      validation: [
        { instancePath: '/spec', params: { missingProperty: 'runtime' } },
        { instancePath: '/spec/domains/0', message: 'must be string' },
      ],
      validationContext: 'body',
    })
    assert.equal(body?.status, 422)
    assert.deepEqual(body?.fields, [
      { field: 'spec.runtime', message: 'Required value' },
      { field: 'spec.domains[0]', message: 'must be string' },
    ])
    assert.equal(requestError({ message: 'too big', statusCode: 413 })?.status, 413)
    assert.equal(requestError({ message: 'boom' }), undefined)
  })

  it('names fields as the API server does', () => {
    assert.equal(fieldPath('/spec/headers/2/set', 'x'), 'spec.headers[2].set.x')
    assert.equal(fieldPath('', 'name'), 'name')
  })

  it('docs/panel.md lists every code', async () => {
    const docs = await readFile(join(HOSTPLANE_PACKAGE.root, 'docs/panel.md'), 'utf8')
    for (const code of Object.keys(PANEL_ERRORS)) assert.ok(docs.includes(code), `${code} in docs/panel.md`)
  })
})
