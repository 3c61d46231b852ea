/**
 * The panel's OpenAPI document fuzzed by schemathesis against the running panel on a real API
 * server, with sign-in configured as in production (so the document holds the admin routes too):
 * every operation as a customer with objects of every kind (by API token), and the admin reads as
 * a provider admin (by session). No request gets a 5xx, every answer matches the status codes,
 * content type and schema the document declares. The admin writes are fuzzed by
 * openapi-fuzz-admin.test.ts on a cluster of its own: on the shared test cluster they would change
 * other tests' Customers.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import { customerNamespace } from '../../src/operator/customer/names.js'
import { SESSION_COOKIE } from '../../src/panel/auth/cookies.js'
import type { PanelProcess } from '../../src/panel/panel-service.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import { freePort } from '../serving/nginx-for-tests.js'
import {
  signInAs,
  startTestProvider,
  TEST_ACCOUNTS,
  TEST_CLIENT,
  TestBrowser,
  type TestProvider,
} from './oidc-fixture.js'
import { type PanelCluster, panelCluster, startSignedInPanel } from './panel-cluster.js'
import { browserSession, fuzzPanel, schemathesisUnavailable } from './schemathesis.js'

/**
 * A followed build log stays open for the builds to come, by design (a page waiting for a push);
 * fuzzed, each would only run into the request timeout. Unfollowed, the stream answers and ends.
 */
const UNFOLLOWED = `
[parameters]
"query.follow" = false
`

const env = await clusterForTests()
const skip = env.skip || (await schemathesisUnavailable())

describe('the OpenAPI document fuzzed by schemathesis against the running panel', { skip }, () => {
  let setup: PanelCluster
  let provider: TestProvider
  let panel: PanelProcess
  let panelUrl: string
  let token: string
  let session: string
  const id = randomBytes(3).toString('hex')
  const customer = sharedCustomer(`fz-${id}`)
  const namespace = customerNamespace(customer)

  before(async () => {
    const cluster = await env.get()
    setup = await panelCluster(cluster, id, [customer])
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
      await setup.admin.request('POST', manifestPath(manifest, { withName: false }), { body: manifest })
    }
    provider = await startTestProvider(TEST_ACCOUNTS)
    const port = await freePort()
    panelUrl = `http://127.0.0.1:${port}`
    // Fuzzed requests without a valid token must not lock the run's own address out.
    panel = await startSignedInPanel(setup, provider, { port, failedSignIns: { perMinute: 1_000_000 } })
    provider.start({ ...TEST_CLIENT, panelUrl })
    token = (await panel.panel.tokens.create(customer.metadata.name, 'fuzzing')).token
    const browser = new TestBrowser()
    await signInAs(browser, panelUrl, 'root')
    session = browser.cookie(panelUrl, SESSION_COOKIE) ?? assert.fail('the admin has no session cookie')
  })

  after(async () => {
    await panel?.stop()
    await provider?.close()
    await setup?.remove()
    await env.release()
  })

  it('no request gets a 5xx and every answer matches the document, for every operation as a customer', async () => {
    await fuzzPanel(panelUrl, {
      args: ['--header', `Authorization: Bearer ${token}`],
      secrets: [token],
      config: UNFOLLOWED,
    })
  })

  it('the admin reads answer by the document as a provider admin', async () => {
    await fuzzPanel(panelUrl, {
      args: [
        ...browserSession(`${SESSION_COOKIE}=${session}`),
        '--include-path-regex',
        '^/api/v1/admin',
        // Filters of one kind add up; exclusions then narrow to the reads.
        '--exclude-method',
        'POST',
        '--exclude-method',
        'PATCH',
        '--exclude-method',
        'DELETE',
      ],
      secrets: [session],
    })
  })
})
