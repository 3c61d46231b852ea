/**
 * The panel as users run it — `node build/src/cli/main.js panel` (compiled, every flag at its
 * default but the addresses) with its own ServiceAccount token, acting through impersonation — on
 * a cluster this script starts, with C customers of N objects each (80% StaticSites, 20%
 * Webspaces): one customer sees N objects, the cluster holds C × N. Each endpoint is asked R times
 * by W concurrent clients with the customer's API token; beside each, the same read made directly
 * of the API server with the cluster admin's credentials (what `kubectl get` costs), so the
 * panel's own share shows. The panel runs with OpenID Connect sign-in against the test provider
 * (test/panel/oidc-fixture.ts), so the same run asks the web UI's pages as a signed-in browser
 * would — the session cookie of a sign-in through the provider's login and consent — as the
 * customer and, for the admin pages, as a provider admin. Then the panel's resident memory (/proc).
 *
 *   npx tsx bench/panel.ts [--customers 10] [--objects 1000] [--requests 200] [--concurrency 4]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { API_VERSION } from '../src/api/kind.js'
import { CLIENT_SECRET_ENV } from '../src/cli/panel-sign-in-flags.js'
import type { Customer } from '../src/api/resources.js'
import { manifestPath } from '../src/kube/manifest-path.js'
import type { Manifest } from '../src/kube/object.js'
import { KubeRest, resourcePath } from '../src/kube/rest.js'
import { customerNamespace } from '../src/operator/customer/names.js'
import { TokenStore } from '../src/panel/tokens/token-store.js'
import { PanelClients } from '../src/panel/kube-clients.js'
import { TestCluster } from '../test/cluster/cluster.js'
import { REPO_ROOT } from '../test/cluster/paths.js'
import { runOrThrow, sleep, waitFor } from '../test/cluster/process.js'
import {
  applyTenancyObjects,
  createCustomers,
  sharedCustomer,
  TEST_TENANCY,
} from '../test/cluster/tenancy.js'
import { freePort } from '../test/serving/nginx-for-tests.js'
import {
  signInAs,
  startTestProvider,
  TEST_ACCOUNTS,
  TEST_CLIENT,
  TestBrowser,
  type TestProvider,
} from '../test/panel/oidc-fixture.js'
import { panelArgs, panelRbac } from '../test/panel/panel-rbac.js'
import { inParallel } from './parallel.js'

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '10' },
    objects: { type: 'string', default: '1000' },
    requests: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
  },
})
const CUSTOMERS = Number(values.customers)
const OBJECTS = Number(values.objects)
const REQUESTS = Number(values.requests)
const CONCURRENCY = Number(values.concurrency)
const SITES = Math.round(OBJECTS * 0.8)

const log = (line: string) => console.error(`[bench] ${line}`)

interface Latency {
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly bytes: number
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN

/** `REQUESTS` answers of `ask` by `CONCURRENCY` clients after a warm-up; each must be a 200. */
async function measure(ask: () => Promise<Response>): Promise<Latency> {
  let bytes = 0
  const once = async () => {
    const started = performance.now()
    const response = await ask()
    const body = await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`${response.status}: ${Buffer.from(body).toString()}`)
    bytes = body.byteLength
    return performance.now() - started
  }
  for (let i = 0; i < 10; i++) await once()
  const times: number[] = []
  await inParallel(REQUESTS, CONCURRENCY, async () => {
    times.push(await once())
  })
  times.sort((a, b) => a - b)
  const round = (ms: number) => Number(ms.toFixed(1))
  return {
    p50: round(percentile(times, 50)),
    p95: round(percentile(times, 95)),
    p99: round(percentile(times, 99)),
    bytes,
  }
}

async function rssMiB(child: ChildProcess, which: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${child.pid ?? 0}/status`, 'utf8')
  return Number((Number(new RegExp(`${which}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024).toFixed(1))
}

function objectsOf(customer: Customer): Manifest[] {
  const namespace = customerNamespace(customer)
  const sites = Array.from({ length: SITES }, (_, i) => ({
    apiVersion: API_VERSION,
    kind: 'StaticSite',
    metadata: { name: `site-${i}`, namespace },
    spec: { repo: `https://git.example.com/${customer.metadata.name}/site-${i}.git` },
  }))
  const webspaces = Array.from({ length: OBJECTS - SITES }, (_, i) => ({
    apiVersion: API_VERSION,
    kind: 'Webspace',
    metadata: { name: `app-${i}`, namespace },
    spec: { runtime: 'php-8.3', tls: { mode: 'none' } },
  }))
  return [...sites, ...webspaces]
}

async function main(): Promise<void> {
  await runOrThrow('npm', ['run', 'build'], { cwd: REPO_ROOT })
  const cluster = await TestCluster.start({ log })
  const admin = new KubeRest(cluster.kubeConfig())
  const id = randomBytes(3).toString('hex')
  let panel: ChildProcess | undefined
  let provider: TestProvider | undefined
  try {
    await applyTenancyObjects(admin, TEST_TENANCY, id)
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: `hp-panel-${id}` } } })
    for (const object of await panelRbac(id))
      await admin.apply(manifestPath(object), object, { fieldManager: 'bench' })
    const customers = Array.from({ length: CUSTOMERS }, (_, c) => sharedCustomer(`c${c}-${id}`))
    await createCustomers(admin, customers)
    // A tier's quota holds far fewer sites than this; the benchmark asks how the panel copes
    // with many objects, so each namespace's quota is raised to fit them.
    for (const customer of customers)
      await admin.request(
        'PATCH',
        `/api/v1/namespaces/${customerNamespace(customer)}/resourcequotas/hostplane-quota`,
        {
          body: {
            spec: {
              hard: {
                'count/staticsites.hostplane.dev': String(OBJECTS),
                'count/webspaces.hostplane.dev': String(OBJECTS),
              },
            },
          },
          contentType: 'application/merge-patch+json',
        },
      )
    const objects = customers.flatMap(objectsOf)
    log(`creating ${objects.length} objects for ${CUSTOMERS} customers`)
    const creating = Date.now()
    await inParallel(objects.length, 16, async (i) => {
      const object = objects[i] as Manifest
      await admin.request('POST', manifestPath(object, { withName: false }), { body: object })
    })
    log(`created in ${((Date.now() - creating) / 1000).toFixed(1)} s`)

    const credentials = await cluster.serviceAccountKubeConfig(`hp-panel-${id}`, `hostplane-panel-${id}`)
    const customer = customers[0] as Customer
    const [port, opsPort] = [await freePort(), await freePort()]
    const panelUrl = `http://127.0.0.1:${port}`
    provider = await startTestProvider({
      customer: { hostplane_customer: customer.metadata.name },
      admin: TEST_ACCOUNTS.root,
    })
    provider.start({ ...TEST_CLIENT, panelUrl })
    panel = spawn(
      process.execPath,
      [
        'build/src/cli/main.js',
        ...panelArgs(credentials.path, id, port, opsPort),
        ...['--public-url', panelUrl, '--oidc-issuer', provider.issuer],
        ...['--oidc-client-id', TEST_CLIENT.clientId, '--oidc-admin-group', 'hostplane-admins'],
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, [CLIENT_SECRET_ENV]: TEST_CLIENT.clientSecret },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    )
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.status === 200
          ? true
          : undefined,
      { timeoutMs: 30_000, describe: () => 'the panel did not become ready' },
    )
    const clients = new PanelClients(credentials.kubeConfig)
    const { token } = await new TokenStore(clients.tokenKeeper, `hp-panel-tokens-${id}`).create(
      customer.metadata.name,
      'bench',
    )
    clients.close()
    const rssIdle = await rssMiB(panel, 'VmRSS')
    const [customerBrowser, adminBrowser] = [new TestBrowser(), new TestBrowser()]
    await signInAs(customerBrowser, panelUrl, 'customer')
    await signInAs(adminBrowser, panelUrl, 'admin')

    const asCustomer = (path: string) => () =>
      fetch(`${panelUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })
    const namespace = customerNamespace(customer)
    const page = (browser: TestBrowser, path: string) => () => browser.request(`${panelUrl}${path}`)
    const direct = (plural: string, name?: string) => {
      const path = resourcePath({ apiVersion: API_VERSION, plural, namespace, name })
      return async () => {
        // The admin client answers parsed JSON; a Response keeps `measure` one shape for both.
        const body = await admin.request<unknown>('GET', path)
        return new Response(JSON.stringify(body), { status: 200 })
      }
    }
    const endpoints: [string, () => Promise<Response>, (() => Promise<Response>) | undefined][] = [
      ['GET /api/v1/me', asCustomer('/api/v1/me'), undefined],
      ['GET /api/v1/staticsites', asCustomer('/api/v1/staticsites'), direct('staticsites')],
      [
        'GET /api/v1/staticsites/site-7',
        asCustomer('/api/v1/staticsites/site-7'),
        direct('staticsites', 'site-7'),
      ],
      ['GET /api/v1/webspaces', asCustomer('/api/v1/webspaces'), direct('webspaces')],
      ['GET /api/v1/webspaces/app-3', asCustomer('/api/v1/webspaces/app-3'), direct('webspaces', 'app-3')],
      ['GET /api/v1/releases', asCustomer('/api/v1/releases'), direct('releases')],
      ['page /', page(customerBrowser, '/'), undefined],
      ['page /sites', page(customerBrowser, '/sites'), undefined],
      ['page /sites/site-7', page(customerBrowser, '/sites/site-7'), undefined],
      ['page /webspaces', page(customerBrowser, '/webspaces'), undefined],
      ['page /webspaces/app-3', page(customerBrowser, '/webspaces/app-3'), undefined],
      ['page /admin/customers (admin)', page(adminBrowser, '/admin/customers'), undefined],
      ['page /admin/audit (admin)', page(adminBrowser, '/admin/audit'), undefined],
    ]
    const rows: Record<string, unknown>[] = []
    for (const [name, viaPanel, viaApi] of endpoints) {
      const panelLatency = await measure(viaPanel)
      const apiLatency = viaApi ? await measure(viaApi) : undefined
      log(
        `${name}: panel p95 ${panelLatency.p95} ms${apiLatency ? `, API server p95 ${apiLatency.p95} ms` : ''}`,
      )
      rows.push({ endpoint: name, panel: panelLatency, apiServer: apiLatency })
    }
    await sleep(1000)
    console.log(
      JSON.stringify(
        {
          customers: CUSTOMERS,
          objectsPerCustomer: OBJECTS,
          objectsInCluster: objects.length,
          requests: REQUESTS,
          concurrency: CONCURRENCY,
          endpoints: rows,
          panelRssMiB: {
            idle: rssIdle,
            after: await rssMiB(panel, 'VmRSS'),
            peak: await rssMiB(panel, 'VmHWM'),
          },
        },
        null,
        2,
      ),
    )
  } finally {
    panel?.kill('SIGTERM')
    await provider?.close()
    admin.close()
    await cluster.stop()
  }
}

await main()
