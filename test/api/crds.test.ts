import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Readable, Writable } from 'node:stream'
import { parse, stringify } from 'yaml'
import { GROUP, VERSION } from '../../src/api/kind.js'
import { KINDS } from '../../src/api/kinds.js'
import { validateCommand } from '../../src/cli/validate-command.js'
import { fieldManagerOf } from '../../src/kube/field-managers.js'
import { isNotFound, KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import { INVALID_CASES } from '../fixtures/invalid-resources.js'

const env = await clusterForTests()
const API_VERSION = `${GROUP}/${VERSION}`
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io'

interface Resource {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; [key: string]: unknown }
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
}

const causeLine = (field: string, message: string) => (field ? `${field}: ${message}` : message)

/**
 * The API server's refusal as `field: message` lines, without its envelope: a 422 lists its
 * causes (`Kind.group "name" is invalid: [...]`), and Go prints the object itself as the field
 * `<nil>`, which validate leaves out; strict field validation answers 400 `… cannot be handled
 * as a Kind: strict decoding error: ` and one `unknown field "<field>"` per field.
 */
function apiServerCauses(error: KubeApiError): string[] {
  const { causes } = (error.details ?? {}) as { causes?: { field?: string; message: string }[] }
  if (causes) return causes.map((c) => causeLine(c.field === '<nil>' ? '' : (c.field ?? ''), c.message))
  const strict = /strict decoding error: (.*)$/.exec(error.message)?.[1]
  assert.ok(strict, `neither causes nor a strict decoding error: ${error.message}`)
  return strict.split(', ').map((item) => {
    const field = /^unknown field "(.*)"$/.exec(item)?.[1]
    assert.ok(field, `not an unknown field: ${item}`)
    return causeLine(field, item)
  })
}

const definition = (kind: string) => {
  const def = KINDS.find((k) => k.kind === kind)
  assert.ok(def, `unknown kind ${kind}`)
  return def
}

describe('the hostplane API on a real kube-apiserver', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  const namespace = `t-api-${randomBytes(3).toString('hex')}`
  const suffix = randomBytes(3).toString('hex')

  /** Where an object of our kinds lives: its namespace is the test's for namespaced kinds. */
  const pathOf = (object: Pick<Resource, 'kind' | 'metadata'>, withName = false) => {
    const def = definition(object.kind)
    return resourcePath({
      apiVersion: API_VERSION,
      plural: def.plural,
      namespace: def.scope === 'Namespaced' ? namespace : undefined,
      name: withName ? object.metadata.name : undefined,
    })
  }
  const create = (object: Omit<Resource, 'spec'> & { spec?: unknown; [key: string]: unknown }) => {
    const def = definition(object.kind)
    const body = {
      ...object,
      metadata:
        def.scope === 'Namespaced'
          ? { ...object.metadata, namespace }
          : { ...object.metadata, namespace: undefined },
    }
    return admin.request<Resource>('POST', pathOf(object), { body, query: { fieldValidation: 'Strict' } })
  }

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: namespace } } })
  })

  after(async () => {
    await admin?.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => {})
    admin?.close()
    await env.release()
  })

  it('establishes every hostplane, Traefik and cert-manager CRD', async () => {
    const list = await admin.request<{
      items: { metadata: { name: string }; status: { conditions?: { type: string; status: string }[] } }[]
    }>('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')
    const established = new Set(
      list.items
        .filter((crd) => crd.status.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
        .map((crd) => crd.metadata.name),
    )
    const expected = [
      ...KINDS.map((k) => `${k.plural}.${GROUP}`),
      'ingressroutes.traefik.io',
      'middlewares.traefik.io',
      'tlsstores.traefik.io',
      'tlsoptions.traefik.io',
      'traefikservices.traefik.io',
      'serverstransports.traefik.io',
      'certificates.cert-manager.io',
      'issuers.cert-manager.io',
      'clusterissuers.cert-manager.io',
      'certificaterequests.cert-manager.io',
    ]
    for (const name of expected) assert.ok(established.has(name), `${name} is not Established`)
  })

  it('accepts every example in docs/examples and fills in defaults', async () => {
    const dir = join(REPO_ROOT, 'docs', 'examples')
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()
    assert.ok(files.length >= 5)
    for (const file of files) {
      const example = parse(await readFile(join(dir, file), 'utf8')) as Resource
      const renamed = {
        ...example,
        metadata: { ...example.metadata, name: `${example.metadata.name}-${suffix}` },
      }
      const created = await create(renamed).catch((error: Error) =>
        assert.fail(`${file} was refused: ${error.message}`),
      )
      if (created.kind === 'StaticSite')
        assert.ok(created.spec?.syncInterval, `${file}: syncInterval not defaulted`)
      if (definition(created.kind).scope === 'Cluster') await admin.request('DELETE', pathOf(created, true))
    }
  })

  describe('refuses every invalid object as `hostplane validate` does: same fields, same messages', () => {
    /** `hostplane validate -o json -` over the whole table, one document per row: field: message lines by row. */
    const fromValidate = new Map<number, string[]>()

    before(async () => {
      let json = ''
      const out = new Writable({
        write(chunk: Buffer, _encoding, done) {
          json += chunk.toString()
          done()
        },
      })
      const stdin = Readable.from([INVALID_CASES.map((c) => stringify(c.object)).join('---\n')])
      const code = await validateCommand(
        ['-'],
        { output: 'json', pagesDomain: 'pages.test' },
        { stdin, out, err: out },
      )
      assert.equal(code, 1)
      const report = JSON.parse(json) as { errors: { document?: number; field?: string; message: string }[] }
      for (const { document = 0, field = '', message } of report.errors)
        fromValidate.set(document, [...(fromValidate.get(document) ?? []), causeLine(field, message)])
    })

    for (const [row, c] of INVALID_CASES.entries()) {
      it(`refuses ${c.name} (${c.field})`, async () => {
        const error = await create(c.object).then(
          () => assert.fail(`${c.name} was accepted`),
          (e: unknown) => e,
        )
        assert.ok(error instanceof KubeApiError, String(error))
        assert.ok([400, 422].includes(error.status), `status ${error.status}: ${error.message}`)
        const apiServer = apiServerCauses(error).sort()
        assert.ok(
          apiServer.some((line) => line.includes(c.field)),
          `no message names ${c.field}: ${error.message}`,
        )
        assert.deepEqual((fromValidate.get(row + 1) ?? []).sort(), apiServer)
      })
    }
  })

  it('shows the printer columns in the server-side table output (kubectl get)', async () => {
    const customer = await create({
      apiVersion: API_VERSION,
      kind: 'Customer',
      metadata: { name: `columns-${suffix}` },
      spec: { displayName: 'Columns', email: 'c@columns.example', tier: 'dedicated', size: 'large' },
    })
    try {
      for (const def of KINDS) {
        const table = await admin.request<{
          columnDefinitions: { name: string }[]
          rows: { cells: unknown[] }[]
        }>(
          'GET',
          resourcePath({
            apiVersion: API_VERSION,
            plural: def.plural,
            namespace: def.scope === 'Namespaced' ? namespace : undefined,
          }),
          { accept: TABLE },
        )
        const names = table.columnDefinitions.map((c) => c.name)
        assert.deepEqual(names, ['Name', ...def.printerColumns.map((c) => c.name)], `${def.kind} columns`)
      }
      const table = await admin.request<{ rows: { cells: unknown[] }[] }>('GET', pathOf(customer, true), {
        accept: TABLE,
      })
      assert.deepEqual(table.rows[0]?.cells.slice(0, 3), [customer.metadata.name, 'dedicated', 'large'])
    } finally {
      await admin.request('DELETE', pathOf(customer, true))
    }
  })

  it('lets two field managers own different conditions of one status without overwriting each other', async () => {
    const site = await create({
      apiVersion: API_VERSION,
      kind: 'StaticSite',
      metadata: { name: `conditions-${suffix}` },
      spec: { repo: 'https://git.example.com/conditions.git' },
    })
    const statusPath = `${pathOf(site, true)}/status`
    const condition = (type: string) => ({
      type,
      status: 'True',
      reason: 'Test',
      message: `${type} by its owner`,
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    })
    const applyStatus = (manager: string, type: string) =>
      admin.apply(
        statusPath,
        {
          apiVersion: API_VERSION,
          kind: 'StaticSite',
          metadata: { name: site.metadata.name, namespace },
          status: { conditions: [condition(type)] },
        },
        { fieldManager: manager },
      )
    await applyStatus(fieldManagerOf('syncer'), 'Synced')
    await applyStatus(fieldManagerOf('operator'), 'Routed')
    await applyStatus(fieldManagerOf('operator'), 'Ready')
    const current = await admin.request<Resource>('GET', pathOf(site, true))
    const types = ((current.status?.conditions as { type: string }[]) ?? []).map((c) => c.type).sort()
    assert.deepEqual(
      types,
      ['Ready', 'Synced'],
      'the operator replaced its own Routed by Ready and kept Synced',
    )
    const table = await admin.request<{ rows: { cells: unknown[] }[] }>('GET', pathOf(site, true), {
      accept: TABLE,
    })
    const readyColumn = 1 + definition('StaticSite').printerColumns.findIndex((c) => c.name === 'Ready')
    assert.equal(table.rows[0]?.cells[readyColumn], 'True')
  })

  it('refuses any change of a Release spec with a message saying it is immutable, and keeps its labels editable', async () => {
    const example = parse(
      await readFile(join(REPO_ROOT, 'docs', 'examples', 'release.yaml'), 'utf8'),
    ) as Resource
    const release = await create({
      ...example,
      metadata: { ...example.metadata, name: `immutable-${suffix}` },
    })
    const path = pathOf(release, true)
    const changes: Record<string, unknown>[] = [
      { commit: 'f'.repeat(40) },
      { image: `registry.example.com/hostplane/acme@sha256:${'b'.repeat(64)}` },
      { buildLog: { digest: `sha256:${'c'.repeat(64)}` } },
    ]
    for (const change of changes) {
      const error = await admin
        .request('PATCH', path, { body: { spec: change }, contentType: 'application/merge-patch+json' })
        .then(
          () => assert.fail(`changing ${Object.keys(change).join()} was accepted`),
          (e: unknown) => e,
        )
      assert.ok(error instanceof KubeApiError && error.status === 422, String(error))
      assert.deepEqual(apiServerCauses(error), [
        'spec: Invalid value: a Release is immutable: push a new commit to make a new Release',
      ])
    }
    const stored = await admin.request<Resource>('GET', path)
    assert.deepEqual(stored.spec, release.spec)
    const relabelled = await admin.request<Resource>('PATCH', path, {
      body: { metadata: { labels: { note: 'kept' } } },
      contentType: 'application/merge-patch+json',
    })
    assert.equal((relabelled.metadata.labels as Record<string, string>).note, 'kept')
  })

  it('refuses a ServiceAccount without rights and lets one granted `get staticsites` read a site', async () => {
    const site = await create({
      apiVersion: API_VERSION,
      kind: 'StaticSite',
      metadata: { name: `rbac-${suffix}` },
      spec: { repo: 'https://git.example.com/rbac.git' },
    })
    const { kubeConfig } = await cluster.serviceAccountKubeConfig(namespace, 'reader')
    const reader = new KubeRest(kubeConfig)
    try {
      const refused = await reader.request('GET', pathOf(site, true)).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(
        refused instanceof KubeApiError && refused.status === 403,
        `expected 403, got ${String(refused)}`,
      )

      await admin.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, {
        body: {
          metadata: { name: 'staticsite-reader' },
          rules: [{ apiGroups: [GROUP], resources: ['staticsites'], verbs: ['get'] }],
        },
      })
      await admin.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
        body: {
          metadata: { name: 'staticsite-reader' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'staticsite-reader' },
          subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
        },
      })
      // The RBAC authorizer sees a new binding through its informer, a moment after it is stored.
      const read = await waitFor(
        () => reader.request<Resource>('GET', pathOf(site, true)).catch(() => undefined),
        { timeoutMs: 10_000, describe: () => 'the granted `get staticsites` never took effect' },
      )
      assert.equal(read.metadata.name, site.metadata.name)
      const listed = await reader.request('GET', pathOf(site)).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(listed instanceof KubeApiError && listed.status === 403, '`get` must not grant `list`')
      const otherNamespace = await reader
        .request('GET', '/apis/hostplane.dev/v1alpha1/namespaces/default/staticsites/x')
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      assert.ok(
        otherNamespace instanceof KubeApiError &&
          !isNotFound(otherNamespace) &&
          otherNamespace.status === 403,
      )
    } finally {
      reader.close()
    }
  })
})
