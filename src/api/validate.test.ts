import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parse } from 'yaml'
import { INVALID_CASES } from '../../test/fixtures/invalid-resources.js'
import { API_VERSION } from './kind.js'
import { formatFieldErrors, RULES_NOT_CHECKED, validateResource } from './validate.js'

const examplesDir = join(import.meta.dirname, '..', '..', 'docs', 'examples')

describe('standalone validation uses the CRD schema', () => {
  for (const c of INVALID_CASES) {
    it(`refuses ${c.name}, naming ${c.field}`, () => {
      const result = validateResource(c.object)
      assert.equal(result.ok, false, `${c.name} was accepted`)
      if (result.ok) return
      const message = formatFieldErrors(result.errors)
      assert.ok(message.includes(c.field), `expected an error naming ${c.field}, got: ${message}`)
    })
  }

  it('accepts every example in docs/examples', async () => {
    const files = (await readdir(examplesDir)).filter((f) => f.endsWith('.yaml'))
    assert.ok(files.length >= 5)
    for (const file of files) {
      const result = validateResource(parse(await readFile(join(examplesDir, file), 'utf8')))
      assert.ok(result.ok, `${file}: ${result.ok ? '' : formatFieldErrors(result.errors)}`)
    }
  })

  it('fills in the documented defaults of a minimal StaticSite', () => {
    const result = validateResource({
      apiVersion: API_VERSION,
      kind: 'StaticSite',
      metadata: { name: 'blog' },
      spec: { repo: 'https://git.example.com/blog.git' },
    })
    assert.ok(result.ok)
    assert.deepEqual(result.object.spec, {
      repo: 'https://git.example.com/blog.git',
      ref: 'main',
      path: '/',
      syncInterval: '5m',
      tls: { mode: 'auto' },
      fallback: 'notFound',
    })
  })

  it('accepts a full commit id, a tag and a nested branch as ref', () => {
    for (const ref of ['0123456789abcdef0123456789abcdef01234567', 'v1.2.3', 'feature/new-home']) {
      const result = validateResource({
        apiVersion: API_VERSION,
        kind: 'StaticSite',
        metadata: { name: 'blog' },
        spec: { repo: 'https://git.example.com/blog.git', ref },
      })
      assert.ok(result.ok, `${ref}: ${result.ok ? '' : formatFieldErrors(result.errors)}`)
    }
  })

  it('names the wrong kind and apiVersion instead of guessing', () => {
    const wrongKind = validateResource({
      apiVersion: API_VERSION,
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {},
    })
    assert.ok(!wrongKind.ok && wrongKind.errors[0]?.path === 'kind')
    const wrongVersion = validateResource({
      apiVersion: 'apps/v1',
      kind: 'StaticSite',
      metadata: { name: 'x' },
      spec: {},
    })
    assert.ok(!wrongVersion.ok && wrongVersion.errors[0]?.path === 'apiVersion')
  })

  it('drops a namespace given to a cluster-scoped kind, as the API server does', () => {
    const result = validateResource({
      apiVersion: API_VERSION,
      kind: 'Customer',
      metadata: { name: 'acme', namespace: 'default' },
      spec: { displayName: 'Acme', email: 'a@acme.example' },
    })
    assert.ok(result.ok)
    assert.equal(result.object.metadata.namespace, undefined)
  })

  it('reports a missing repo once, and no CEL rule that could not be checked without it', () => {
    const result = validateResource({
      apiVersion: API_VERSION,
      kind: 'StaticSite',
      metadata: { name: 'blog' },
      spec: { ref: 'main' },
    })
    assert.ok(!result.ok)
    assert.deepEqual(
      result.errors.map((e) => formatFieldErrors([e])),
      ['spec.repo: Required value', `Invalid value: null: ${RULES_NOT_CHECKED}`],
    )
  })

  it('names the second appearance of a repeated domain, as a set list does', () => {
    const result = validateResource({
      apiVersion: API_VERSION,
      kind: 'StaticSite',
      metadata: { name: 'blog' },
      spec: { repo: 'https://git.example.com/blog.git', domains: ['a.test', 'a.test', 'a.test'] },
    })
    assert.ok(!result.ok)
    assert.equal(formatFieldErrors(result.errors), 'spec.domains[1]: Duplicate value: "a.test"')
  })

  it('treats a null field as absent, filling in its default', () => {
    const result = validateResource({
      apiVersion: API_VERSION,
      kind: 'StaticSite',
      metadata: { name: 'blog' },
      spec: { repo: 'https://git.example.com/blog.git', domains: null, tls: null },
    })
    assert.ok(result.ok, result.ok ? '' : formatFieldErrors(result.errors))
    assert.equal(result.object.spec.domains, undefined)
    assert.deepEqual(result.object.spec.tls, { mode: 'auto' })
  })

  it('refuses unknown fields before any other check, as strict field validation does', () => {
    const result = validateResource({
      apiVersion: API_VERSION,
      kind: 'StaticSite',
      metadata: { name: 'Bad_Name', labelz: {} },
      spec: { repo: 'ext::x', tls: { mode: 'auto', issuer: 'x' } },
    })
    assert.ok(!result.ok)
    assert.deepEqual(result.errors.map((e) => e.path).sort(), ['metadata.labelz', 'spec.tls.issuer'])
  })
})
