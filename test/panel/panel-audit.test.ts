/**
 * The panel's audit log on a real API server, with a real OpenID Provider: changes made with an
 * API token and by an admin acting as a customer are recorded with the right actor and acting-as,
 * searched and exported by the admin only; the log survives a restart, keeps its bound by
 * dropping the oldest segment, and refuses changes it cannot record. The identity that writes it
 * reads nothing else.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import type { KubeList, Manifest } from '../../src/kube/object.js'
import { KubeApiError, type KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerNamespace } from '../../src/operator/customer/names.js'
import type { AuditEntry } from '../../src/panel/audit/entry.js'
import { PanelClients } from '../../src/panel/kube-clients.js'
import type { PanelProcess } from '../../src/panel/panel-service.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { waitFor } from '../cluster/process.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import { freePort } from '../serving/nginx-for-tests.js'
import { startTestProvider, TEST_CLIENT, TestBrowser, type TestProvider } from './oidc-fixture.js'
import { type PanelCluster, panelCluster, startSignedInPanel } from './panel-cluster.js'
import { sessionCalls } from './session-calls.js'

const env = await clusterForTests()

/** The HTTP status a Kubernetes request ends with. */
const statusOf = (request: Promise<unknown>) =>
  request.then(
    () => 200,
    (e: unknown) => (e instanceof KubeApiError ? e.status : String(e)),
  )

interface Page {
  readonly items: AuditEntry[]
  readonly next?: string
}

describe('the panel’s audit log, on a real API server', { skip: env.skip }, () => {
  let setup: PanelCluster
  let admin: KubeRest
  let provider: TestProvider
  let panel: PanelProcess | undefined
  let port: number
  let panelUrl: string
  let token: string
  let tokenId: string
  const id = randomBytes(3).toString('hex')
  const a = sharedCustomer(`aa-${id}`)
  const b = sharedCustomer(`ab-${id}`)

  const start = async (audit: { maxSegments?: number; segmentBytes?: number } = {}) => {
    await panel?.stop()
    panel = await startSignedInPanel(setup, provider, { port, audit })
  }

  const { call, signedIn, change } = sessionCalls(() => panelUrl)
  const byToken = <T = unknown>(method: string, path: string, body?: unknown) =>
    call<T>(new TestBrowser(), method, path, { body, headers: { authorization: `Bearer ${token}` } })
  const search = async (browser: TestBrowser, query: string) => {
    const answer = await call<Page>(browser, 'GET', `/api/v1/admin/audit?${query}`)
    assert.equal(answer.status, 200, answer.text)
    return answer.body
  }
  const segments = async () =>
    (
      await admin.request<KubeList<Manifest & { data?: Record<string, string> }>>(
        'GET',
        `/api/v1/namespaces/${setup.auditNamespace}/configmaps`,
        { query: { labelSelector: 'hostplane.dev/panel-audit=segment' } },
      )
    ).items.sort((x, y) => x.metadata.name.localeCompare(y.metadata.name))
  const site = (name: string) => ({ name, spec: { repo: `https://git.example.com/${name}.git` } })

  before(async () => {
    const cluster = await env.get()
    setup = await panelCluster(cluster, id, [a, b])
    admin = setup.admin
    provider = await startTestProvider({
      alice: { email: 'alice@a.test', hostplane_customer: a.metadata.name, groups: ['staff'] },
      root: { email: 'root@provider.test', groups: ['hostplane-admins'] },
    })
    port = await freePort()
    panelUrl = `http://127.0.0.1:${port}`
    await start()
    provider.start({ ...TEST_CLIENT, panelUrl })
    const created = await (panel ?? assert.fail('no panel')).panel.tokens.create(a.metadata.name, 'tests')
    token = created.token
    tokenId = created.record.id
  })

  after(async () => {
    await panel?.stop()
    await provider?.close()
    await setup?.remove()
    await env.release()
  })

  it('a customer’s changes by API token are recorded with the token as actor, the customer as acting-as, the object and the outcome', async () => {
    assert.equal((await byToken('POST', '/api/v1/staticsites', site('docs'))).status, 201)
    assert.equal((await byToken('POST', '/api/v1/staticsites/docs/sync')).status, 200)
    const refused = await byToken('POST', '/api/v1/staticsites', {
      name: 'bad',
      spec: { repo: 'file:///etc' },
    })
    assert.equal(refused.status, 422)
    assert.equal((await byToken('DELETE', '/api/v1/staticsites/no-such-site')).status, 404)
    const made = await byToken<{ token: string; id: string }>('POST', '/api/v1/tokens', { description: 'ci' })
    assert.equal(made.status, 201)
    assert.equal((await byToken('DELETE', `/api/v1/tokens/${made.body.id}`)).status, 204)

    const root = await signedIn('root')
    const { items } = await search(root, `actor=token:${tokenId}`)
    const seen = items.map((e) => [e.action, e.object?.name, e.outcome, e.code ?? ''])
    assert.deepEqual(seen.reverse(), [
      ['staticsite.create', 'docs', 'ok', ''],
      ['staticsite.sync', 'docs', 'ok', ''],
      ['staticsite.create', 'bad', 'refused', 'HP_ERR_PANEL_INVALID'],
      ['staticsite.delete', 'no-such-site', 'refused', 'HP_ERR_PANEL_NOT_FOUND'],
      ['token.create', made.body.id, 'ok', ''],
      ['token.revoke', made.body.id, 'ok', ''],
    ])
    const created = items.find((e) => e.action === 'staticsite.create' && e.outcome === 'ok')
    assert.deepEqual(created?.actor, {
      id: `token:${tokenId}`,
      method: 'token',
      admin: false,
      customer: a.metadata.name,
    })
    assert.equal(created?.actingAs, a.metadata.name)
    assert.deepEqual(created?.object, { kind: 'StaticSite', namespace: customerNamespace(a), name: 'docs' })

    const stored = (await segments()).map((s) => JSON.stringify(s.data)).join('\n')
    for (const secret of [token, made.body.token])
      // hpt_<id>_<secret>: the secret is base64url and may itself hold '_'.
      assert.ok(!stored.includes(secret.split('_').slice(2).join('_')), 'no token’s secret part is stored')
    assert.ok(!stored.includes('"ci"'), 'nor a token’s description')
  })

  it('an admin’s sign-in, acting as a customer, its change as that customer and stopping are recorded with the admin as actor', async () => {
    const root = await signedIn('root')
    assert.equal(
      (await change(root, 'POST', '/api/v1/admin/act-as', { customer: a.metadata.name })).status,
      200,
    )
    assert.equal((await change(root, 'POST', '/api/v1/staticsites', site('by-admin'))).status, 201)
    assert.equal((await change(root, 'DELETE', '/api/v1/admin/act-as')).status, 200)
    assert.equal(
      (await change(root, 'PATCH', `/api/v1/admin/customers/${b.metadata.name}`, { size: 'medium' })).status,
      200,
    )

    const { items } = await search(root, 'actor=oidc:root&limit=4')
    assert.deepEqual(
      items.reverse().map((e) => [e.action, e.actingAs, e.object?.kind, e.object?.name, e.outcome]),
      [
        ['act-as.start', undefined, 'Customer', a.metadata.name, 'ok'],
        ['staticsite.create', a.metadata.name, 'StaticSite', 'by-admin', 'ok'],
        ['act-as.stop', a.metadata.name, 'Customer', a.metadata.name, 'ok'],
        ['customer.update', undefined, 'Customer', b.metadata.name, 'ok'],
      ],
    )
    assert.deepEqual(items[0]?.actor, {
      id: 'oidc:root',
      method: 'oidc',
      admin: true,
      email: 'root@provider.test',
    })
    assert.deepEqual(items[3]?.detail, { size: 'medium' })
    const signIns = await search(root, 'action=sign-in&actor=root@provider.test')
    assert.ok(signIns.items.length >= 2, 'each sign-in of root')

    const byCustomer = await search(root, `customer=${a.metadata.name}&action=act-as.start`)
    assert.equal(byCustomer.items.length, 1)
    const first = await search(root, `customer=${a.metadata.name}&limit=2`)
    assert.ok(first.next)
    const second = await search(root, `customer=${a.metadata.name}&limit=2&cursor=${first.next}`)
    assert.ok(
      second.items.every((e) => e.id < (first.items[1]?.id ?? '')),
      'the next page is older',
    )
    assert.equal((await search(root, 'outcome=refused&since=2000-01-01T00:00:00Z')).items.length, 2)
  })

  it('an admin exports the selected entries as CSV and JSON lines, as downloads', async () => {
    const root = await signedIn('root')
    const csv = await call(root, 'GET', `/api/v1/admin/audit/export?format=csv&actor=token:${tokenId}`)
    assert.equal(csv.status, 200)
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8')
    assert.equal(csv.headers.get('content-disposition'), 'attachment; filename="hostplane-audit.csv"')
    const rows = csv.text.split('\r\n')
    assert.equal(
      rows[0],
      'time,id,actor,actor_email,admin,acting_as,action,kind,namespace,name,outcome,code,detail',
    )
    assert.equal(rows.length, 1 + 6 + 1)
    assert.match(
      rows.at(-2) ?? '',
      new RegExp(`,token:${tokenId},,false,${a.metadata.name},staticsite.create,StaticSite,`),
    )
    const jsonl = await call(root, 'GET', `/api/v1/admin/audit/export?format=jsonl&action=act-as.start`)
    assert.equal(jsonl.headers.get('content-type'), 'application/jsonl; charset=utf-8')
    const lines = jsonl.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry)
    assert.deepEqual(
      lines.map((e) => e.object?.name),
      [a.metadata.name],
    )
  })

  it('a customer cannot read the audit log: not through the panel, by session or token, nor as its Kubernetes user', async () => {
    const alice = await signedIn('alice')
    for (const path of ['/api/v1/admin/audit', '/api/v1/admin/audit/export?format=csv']) {
      const bySession = await call(alice, 'GET', path)
      assert.equal(bySession.status, 403, path)
      assert.equal(bySession.body.error?.code, 'HP_ERR_PANEL_NOT_ADMIN')
      assert.equal((await byToken('GET', path)).status, 403, `${path} by token`)
    }
    const clients = new PanelClients(setup.kubeConfig)
    try {
      const refused = await statusOf(
        clients
          .forCustomer(a.metadata.name)
          .request('GET', `/api/v1/namespaces/${setup.auditNamespace}/configmaps`),
      )
      assert.equal(refused, 403)
    } finally {
      clients.close()
    }
  })

  it('the audit identity reads and writes nothing but the ConfigMaps of its namespace', async () => {
    const clients = new PanelClients(setup.kubeConfig)
    try {
      for (const path of [
        `/api/v1/namespaces/${setup.auditNamespace}/secrets`,
        `/api/v1/namespaces/${setup.tokenNamespace}/secrets`,
        `/api/v1/namespaces/${customerNamespace(a)}/configmaps`,
        resourcePath({ apiVersion: API_VERSION, plural: 'staticsites', namespace: customerNamespace(a) }),
        resourcePath({ apiVersion: API_VERSION, plural: 'customers' }),
        '/api/v1/configmaps',
        '/api/v1/namespaces',
      ]) {
        assert.equal(await statusOf(clients.auditWriter.request('GET', path)), 403, path)
      }
      const elsewhere = clients.auditWriter.request(
        'POST',
        `/api/v1/namespaces/${customerNamespace(a)}/configmaps`,
        {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'planted' } },
        },
      )
      assert.equal(await statusOf(elsewhere), 403)
    } finally {
      clients.close()
    }
  })

  it('survives a restart: the new process finds the entries and appends after them', async () => {
    const before = (await search(await signedIn('root'), 'limit=500')).items
    await start()
    const root = await signedIn('root')
    const after = (await search(root, 'limit=500')).items
    assert.deepEqual(after.slice(1), before, 'every entry is still there, behind the new sign-in')
    assert.equal(after[0]?.action, 'sign-in')
    assert.equal((await segments()).length, 1, 'appended to the same segment')
  })

  it('refuses a change it cannot record (503), makes nothing, counts the failure, and records again once it can', async () => {
    const binding = `/apis/rbac.authorization.k8s.io/v1/namespaces/${setup.auditNamespace}/rolebindings/hp-panel-audit-${id}-writer`
    const saved = await admin.request<Manifest>('GET', binding)
    await admin.request('DELETE', binding)
    const clients = new PanelClients(setup.kubeConfig)
    try {
      await waitFor(
        async () =>
          (await statusOf(
            clients.auditWriter.request('GET', `/api/v1/namespaces/${setup.auditNamespace}/configmaps`),
          )) === 403 || undefined,
        { timeoutMs: 10_000, describe: () => 'the API server still lets the audit identity write' },
      )
      const refused = await byToken('POST', '/api/v1/staticsites', site('unrecorded'))
      assert.equal(refused.status, 503, refused.text)
      assert.equal(refused.body.error?.code, 'HP_ERR_PANEL_AUDIT_UNAVAILABLE')
      const missing = await statusOf(
        admin.request(
          'GET',
          resourcePath({
            apiVersion: API_VERSION,
            plural: 'staticsites',
            namespace: customerNamespace(a),
            name: 'unrecorded',
          }),
        ),
      )
      assert.equal(missing, 404)
      const metrics = await (await fetch(`${panel?.opsUrl}/metrics`)).text()
      assert.match(metrics, /hostplane_panel_audit_failures_total\{stage="attempt"\} [1-9]/)
      assert.equal((await byToken('GET', '/api/v1/staticsites')).status, 200, 'reads still work')
    } finally {
      clients.close()
      const { metadata, ...rest } = saved
      await admin.request(
        'POST',
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${setup.auditNamespace}/rolebindings`,
        {
          body: { ...rest, metadata: { name: metadata.name, namespace: metadata.namespace } },
        },
      )
    }
    await waitFor(
      async () =>
        (await byToken('POST', '/api/v1/staticsites', site('recorded'))).status === 201 ? true : undefined,
      {
        timeoutMs: 10_000,
        describe: () => 'the change was not made once the audit log was writable again',
      },
    )
  })

  it('keeps its bound: past the segments it may keep, the oldest is dropped and the newest entries stay', async () => {
    const oldest = (await search(await signedIn('root'), 'limit=500')).items.at(-1)
    await start({ maxSegments: 2, segmentBytes: 4096 })
    for (let n = 0; n < 12; n++)
      assert.equal((await byToken('POST', '/api/v1/staticsites/docs/sync')).status, 200)
    const kept = await segments()
    assert.equal(kept.length, 2, kept.map((s) => s.metadata.name).join(', '))
    assert.ok(Number(kept[0]?.metadata.name.slice('audit-'.length)) > 1, 'the first segment is gone')
    const entries = (await search(await signedIn('root'), 'limit=500')).items
    assert.ok(!entries.some((e) => e.id === oldest?.id), 'the oldest entry went with its segment')
    assert.deepEqual(
      entries.slice(0, 3).map((e) => [e.action, e.outcome]),
      [
        ['sign-in', 'ok'],
        ['staticsite.sync', 'ok'],
        ['staticsite.sync', 'ok'],
      ],
      'the newest entries are kept, outcomes included',
    )
  })
})
