/**
 * The panel's OpenAPI document fuzzed by schemathesis against the running panel on a real API
 * server, signed in as a customer with objects of every kind: no request gets a 5xx, every answer
 * matches the status codes, content type and schema the document declares.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { API_VERSION } from '../../src/api/kind.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerNamespace } from '../../src/operator/customer/names.js'
import { silentLogger } from '../../src/ops/log.js'
import { OPENAPI_PATH } from '../../src/panel/panel-app.js'
import { type PanelProcess, startPanel } from '../../src/panel/panel-service.js'
import { clusterForTests } from '../cluster/for-tests.js'
import {
  applyTenancyObjects,
  createCustomers,
  sharedCustomer,
  TEST_TENANCY,
  type TenancyObjects,
} from '../cluster/tenancy.js'
import { panelNamespaces, panelRbac } from './panel-rbac.js'
import { cachedSchemathesis, schemathesisUnavailable } from './schemathesis.js'

const run = promisify(execFile)
const env = await clusterForTests()
const skip = env.skip || (await schemathesisUnavailable())

/** What every answer is checked for; the document declares each route's statuses and bodies. */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
].join(',')

describe('the OpenAPI document fuzzed by schemathesis against the running panel', { skip }, () => {
  let admin: KubeRest
  let tenancy: TenancyObjects
  let rbac: Manifest[]
  let panel: PanelProcess
  let token: string
  const id = randomBytes(3).toString('hex')
  const customer = sharedCustomer(`fz-${id}`)
  const namespace = customerNamespace(customer)

  const apply = (object: Manifest) =>
    admin.apply(manifestPath(object), object, { fieldManager: 'hostplane-test' })

  before(async () => {
    const cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    tenancy = await applyTenancyObjects(admin, TEST_TENANCY, id)
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: `hp-panel-${id}` } } })
    rbac = await panelRbac(id)
    for (const object of rbac) await apply(object)
    await createCustomers(admin, [customer])
    for (const object of [
      {
        kind: 'StaticSite',
        metadata: { name: 'docs' },
        spec: { repo: 'https://git.example.com/a/docs.git' },
      },
      { kind: 'Webspace', metadata: { name: 'shop' }, spec: { runtime: 'php-8.3', tls: { mode: 'none' } } },
    ]) {
      const manifest = {
        apiVersion: API_VERSION,
        ...object,
        metadata: { ...object.metadata, namespace },
      } as Manifest
      await admin.request('POST', manifestPath(manifest, { withName: false }), { body: manifest })
    }
    const credentials = await cluster.serviceAccountKubeConfig(`hp-panel-${id}`, `hostplane-panel-${id}`)
    panel = await startPanel({
      kubeConfig: credentials.kubeConfig,
      log: silentLogger(),
      listen: { host: '127.0.0.1', port: 0 },
      opsListen: { host: '127.0.0.1', port: 0 },
      ...panelNamespaces(id),
      // Fuzzed requests without a valid token must not lock the run's own address out.
      failedSignIns: { perMinute: 1_000_000 },
    })
    token = (await panel.panel.tokens.create(customer.metadata.name, 'fuzzing')).token
  })

  after(async () => {
    await panel?.stop()
    await admin
      ?.request(
        'DELETE',
        resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: customer.metadata.name }),
      )
      .catch(() => {})
    for (const object of [...(rbac ?? [])].reverse())
      await admin?.request('DELETE', manifestPath(object)).catch(() => {})
    await admin?.request('DELETE', `/api/v1/namespaces/hp-panel-${id}`).catch(() => {})
    await tenancy?.remove()
    admin?.close()
    await env.release()
  })

  it('no request gets a 5xx and every answer matches the document, for every operation', async () => {
    const st = (await cachedSchemathesis()) ?? assert.fail('schemathesis is not installed')
    const result = await run(
      st,
      [
        'run',
        `${panel.url}${OPENAPI_PATH}`,
        '--header',
        `Authorization: Bearer ${token}`,
        '--checks',
        CHECKS,
        '--phases',
        'examples,coverage,fuzzing',
        '--max-examples',
        '25',
        '--seed',
        '1',
        '--workers',
        '2',
        '--request-timeout',
        '20',
        '--generation-database',
        'none',
        '--no-color',
      ],
      { timeout: 480_000, maxBuffer: 32 * 1024 * 1024, cwd: tmpdir() },
    ).then(
      ({ stdout }) => ({ ok: true, stdout }),
      (error: { stdout?: string; stderr?: string; message: string }) => ({
        ok: false,
        stdout: `${error.stdout ?? ''}\n${error.stderr ?? error.message}`,
      }),
    )
    // The token is a credential of a throwaway customer; the output is what says what failed.
    assert.ok(result.ok, result.stdout.split(token).join('<token>').slice(-12_000))
    assert.match(result.stdout, /passed/i)
  })
})
