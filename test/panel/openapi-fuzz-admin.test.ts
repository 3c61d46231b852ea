/**
 * The panel's admin writes (POST, PATCH and DELETE under /api/v1/admin: create and change
 * Customers, act as one and stop) fuzzed by schemathesis as a provider admin, with the session
 * cookie and the CSRF token a browser on the panel's pages sends, so the requests reach the
 * handlers and the API server instead of stopping at the CSRF check. No request gets a 5xx, every
 * answer matches the status codes, content type and schema the document declares, and the audit
 * log shows every kind of write done: fuzzed Customers created and changed, a session acting as
 * one and stopping (the run cannot pass by being refused).
 *
 * On an API server of its own, stopped after: on the shared test cluster a fuzzed Customer would
 * claim domains that other files' Customers claim, and a fuzzed change could suspend one of them.
 * openapi-fuzz.test.ts fuzzes every other operation on the shared cluster.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer } from '../../src/api/resources.js'
import { resourcePath } from '../../src/kube/rest.js'
import { readAuditLog } from '../../src/panel/audit/audit-log.js'
import { SESSION_COOKIE } from '../../src/panel/auth/cookies.js'
import type { PanelProcess } from '../../src/panel/panel-service.js'
import { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import { waitFor } from '../cluster/process.js'
import { freePort } from '../serving/nginx-for-tests.js'
import { startTestProvider, TEST_ACCOUNTS, TEST_CLIENT, type TestProvider } from './oidc-fixture.js'
import { type PanelCluster, panelCluster, startSignedInPanel } from './panel-cluster.js'
import { browserSession, fuzzPanel, schemathesisUnavailable } from './schemathesis.js'
import { sessionCalls } from './session-calls.js'

const env = await clusterForTests()
const skip = env.skip || (await schemathesisUnavailable())

/** The writes the run must have got done, one of each at least, so it cannot pass by refusals alone. */
const ADMITTED = ['customer.create', 'customer.update', 'act-as.start', 'act-as.stop'] as const

/** A Customer that exists before the run, so acting as one and changing one get past 404. */
const target = sharedCustomer('target')

/**
 * Values an admin knows, offered for half the fields they fit: the document cannot say that an
 * email must look like one (a CEL rule of the CRD), nor which Customers exist.
 */
const KNOWN_VALUES = `
[dictionaries.emails]
values = ["ops@target.example", "billing@fuzzed.example"]

[dictionaries.customers]
values = ["${target.metadata.name}"]

[parameters]
"body.spec.email" = { dictionary = "emails", probability = 0.5 }
"body.email" = { dictionary = "emails", probability = 0.5 }
"body.customer" = { dictionary = "customers", probability = 0.5 }
"path.name" = { dictionary = "customers", probability = 0.5 }
`

describe(
  'the admin writes of the OpenAPI document fuzzed by schemathesis on a cluster of their own',
  { skip },
  () => {
    let cluster: TestCluster
    let setup: PanelCluster
    let provider: TestProvider
    let panel: PanelProcess
    let panelUrl: string
    const { signedIn, csrfOf } = sessionCalls(() => panelUrl)

    before(async () => {
      cluster = await TestCluster.start({ log: (line) => console.error(line) })
      setup = await panelCluster(cluster, randomBytes(3).toString('hex'), [target])
      provider = await startTestProvider(TEST_ACCOUNTS)
      const port = await freePort()
      panelUrl = `http://127.0.0.1:${port}`
      panel = await startSignedInPanel(setup, provider, { port })
      provider.start({ ...TEST_CLIENT, panelUrl })
    })

    after(async () => {
      await panel?.stop()
      await provider?.close()
      await setup?.remove()
      await cluster?.stop()
    })

    it('no admin write gets a 5xx, every answer matches the document, and fuzzed writes of every kind are done', async () => {
      const browser = await signedIn('root')
      const session =
        browser.cookie(panelUrl, SESSION_COOKIE) ?? assert.fail('the admin has no session cookie')
      const csrfToken = await csrfOf(browser)
      await fuzzPanel(panelUrl, {
        args: [
          ...browserSession(`${SESSION_COOKIE}=${session}`, { csrfToken, origin: panelUrl }),
          // Regex filters of one kind make one filter: the admin paths' writes.
          '--include-path-regex',
          '^/api/v1/admin',
          '--include-method-regex',
          '^(POST|PATCH|DELETE)$',
        ],
        secrets: [session, csrfToken],
        config: KNOWN_VALUES,
      })

      // Each write reached its handler and the API server admitted some: the log has them done.
      // An outcome is recorded after the answer, so the log may lag behind the run a little.
      const done = await waitFor(
        async () => {
          const { entries } = await readAuditLog(setup.admin, setup.auditNamespace)
          const ok = entries.filter((entry) => entry.outcome === 'ok')
          return ADMITTED.every((action) => ok.some((entry) => entry.action === action)) ? ok : undefined
        },
        { timeoutMs: 10_000, describe: () => `the audit log has no ${ADMITTED.join(', ')} done` },
      )
      for (const entry of done.filter(({ action }) => action === 'customer.create'))
        await setup.admin.request<Customer>(
          'GET',
          resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: entry.object?.name }),
        )
    })
  },
)
