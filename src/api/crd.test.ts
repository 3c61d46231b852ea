import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { generatedFiles } from '../../scripts/generated-files.js'
import { renderCrd } from './crd.js'
import { KINDS } from './kinds.js'

const root = join(import.meta.dirname, '..', '..')

/** Every node of a schema with its path, to check structural rules across the whole tree. */
function* schemaNodes(node: unknown, path = ''): Generator<[string, Record<string, unknown>]> {
  if (typeof node !== 'object' || node === null) return
  const schema = node as Record<string, unknown>
  yield [path, schema]
  for (const [key, child] of Object.entries((schema.properties as Record<string, unknown>) ?? {})) {
    yield* schemaNodes(child, `${path}.${key}`)
  }
  if (schema.items) yield* schemaNodes(schema.items, `${path}[]`)
  if (typeof schema.additionalProperties === 'object')
    yield* schemaNodes(schema.additionalProperties, `${path}{}`)
}

describe('generated CRDs', () => {
  it('match the committed CRDs and API reference (run `npm run gen` after changing src/api)', async () => {
    for (const [path, content] of generatedFiles()) {
      const committed = await readFile(join(root, path), 'utf8').catch(() => '')
      assert.equal(committed, content, `${path} is stale: run npm run gen`)
    }
  })

  for (const def of KINDS) {
    it(`${def.kind} has a status subresource, short names, printer columns and a structural schema`, () => {
      const crd = renderCrd(def) as {
        spec: {
          versions: {
            subresources: unknown
            additionalPrinterColumns: unknown[]
            schema: { openAPIV3Schema: unknown }
          }[]
          names: { shortNames: string[] }
        }
      }
      const [version] = crd.spec.versions
      assert.ok(version)
      assert.deepEqual(version.subresources, { status: {} })
      assert.ok(crd.spec.names.shortNames.length > 0)
      assert.ok(version.additionalPrinterColumns.length >= 3)
      const { properties } = version.schema.openAPIV3Schema as { properties: Record<string, unknown> }
      const nodes = [...schemaNodes(properties.spec, '.spec'), ...schemaNodes(properties.status, '.status')]
      for (const [path, node] of nodes) {
        assert.ok(typeof node.type === 'string', `${def.kind}${path} has no type`)
        for (const forbidden of ['anyOf', 'oneOf', 'patternProperties', '$ref']) {
          assert.ok(!(forbidden in node), `${def.kind}${path} uses ${forbidden}`)
        }
        assert.notEqual(
          node.additionalProperties,
          false,
          `${def.kind}${path} sets additionalProperties: false`,
        )
        if (node.type === 'array')
          assert.ok(typeof node.maxItems === 'number', `${def.kind}${path} is an unbounded list`)
        if (node.type === 'string' && !node.enum && !node.format) {
          assert.ok(typeof node.maxLength === 'number', `${def.kind}${path} is an unbounded string`)
        }
      }
    })
  }
})
