import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer } from '../../src/api/resources.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import { type ExtraHeaders, KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerGroup, customerNamespace } from '../../src/operator/customer/names.js'
import { selfSubjectReview } from '../../src/kube/self-subject-review.js'
import { silentLogger } from '../../src/ops/log.js'
import { readAuditLog } from '../../src/panel/audit/audit-log.js'
import type { DomainsView, MeView, SiteView, UsageView, WebspaceView } from '../../src/panel/schemas.js'
import {
  actingAdminImpersonation,
  customerImpersonation,
  impersonationHeaders,
} from '../../src/panel/impersonation.js'
import { PanelClients } from '../../src/panel/kube-clients.js'
import { hashToken } from '../../src/panel/tokens/token.js'
import { type PanelProcess, startPanel } from '../../src/panel/panel-service.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { panelArgs, panelNamespaces, panelRbac } from './panel-rbac.js'
import { testRelease } from './test-release.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { runHostplane, startCli } from '../e2e/cli-process.js'
import { waitFor } from '../cluster/process.js'
import { freePort } from '../serving/nginx-for-tests.js'
import {
  applyTenancyObjects,
  createCustomers,
  sharedCustomer,
  TEST_TENANCY,
  type TenancyObjects,
} from '../cluster/tenancy.js'

const env = await clusterForTests()

interface ErrorAnswer {
  readonly error: { code: string; message: string; fields?: { field: string; message: string }[] }
}

interface Answer<T = unknown> {
  readonly status: number
  readonly body: T & Partial<ErrorAnswer>
}

interface Named {
  readonly name: string
}
type List = { items: Named[] }

describe('the panel on a real API server, as two customers', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let tenancy: TenancyObjects
  let rbac: Manifest[]
  let panel: PanelProcess
  let panelCredentials: Awaited<ReturnType<TestCluster['serviceAccountKubeConfig']>>
  const id = randomBytes(3).toString('hex')
  const a = sharedCustomer(`pa-${id}`)
  const b = sharedCustomer(`pb-${id}`)
  const tokens: Record<string, string> = {}

  const apply = (object: Manifest) =>
    admin.apply(manifestPath(object), object, { fieldManager: 'hostplane-test' })
  const path = (customer: Customer, plural: string, name?: string) =>
    resourcePath({ apiVersion: API_VERSION, plural, namespace: customerNamespace(customer), name })

  const call = async <T = unknown>(
    method: string,
    url: string,
    { token, body, headers = {} }: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> => {
    const response = await fetch(`${panel.url}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Answer<T>['body'] }
  }
  const me = (token?: string, headers?: Record<string, string>) =>
    call<MeView>('GET', '/api/v1/me', { token, headers })
  const as = (customer: Customer) => tokens[customer.metadata.name] ?? assert.fail('no token')

  /** Every object of B, as the API server holds it before A tries anything. */
  const bObjects = () =>
    Promise.all(
      [
        path(b, 'staticsites', 'b-site'),
        path(b, 'webspaces', 'b-web'),
        path(b, 'releases', 'b-rel'),
        path(b, 'sshkeys', 'b-key'),
      ].map((p) => admin.request<Manifest>('GET', p).then((o) => [p, o.metadata.resourceVersion])),
    )

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    tenancy = await applyTenancyObjects(admin, TEST_TENANCY, id)
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: `hp-panel-${id}` } } })
    rbac = await panelRbac(id)
    for (const object of rbac) await apply(object)
    await createCustomers(admin, [a, b])
    const site = (customer: Customer, name: string) => ({
      apiVersion: API_VERSION,
      kind: 'StaticSite',
      metadata: { name, namespace: customerNamespace(customer) },
      spec: { repo: `https://git.example.com/${customer.metadata.name}/site.git` },
    })
    const webspace = (customer: Customer, name: string) => ({
      apiVersion: API_VERSION,
      kind: 'Webspace',
      metadata: { name, namespace: customerNamespace(customer) },
      spec: { runtime: 'php-8.3', tls: { mode: 'none' } },
    })
    const key = (customer: Customer, name: string) => ({
      apiVersion: API_VERSION,
      kind: 'SshKey',
      metadata: { name, namespace: customerNamespace(customer) },
      spec: {
        publicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${randomBytes(32).toString('base64').slice(0, 43)} ${name}`,
      },
    })
    for (const [customer, prefix] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      for (const object of [
        site(customer, `${prefix}-site`),
        webspace(customer, `${prefix}-web`),
        testRelease(customer, `${prefix}-web`, `${prefix}-rel`),
        key(customer, `${prefix}-key`),
      ])
        await admin.request('POST', manifestPath(object as Manifest, { withName: false }), { body: object })
    }
    panelCredentials = await cluster.serviceAccountKubeConfig(`hp-panel-${id}`, `hostplane-panel-${id}`)
    panel = await startPanel({
      kubeConfig: panelCredentials.kubeConfig,
      log: silentLogger(),
      listen: { host: '127.0.0.1', port: 0 },
      opsListen: { host: '127.0.0.1', port: 0 },
      ...panelNamespaces(id),
      failedSignIns: { perMinute: 20 },
    })
    for (const customer of [a, b])
      tokens[customer.metadata.name] = (
        await panel.panel.tokens.create(customer.metadata.name, 'tests')
      ).token
  })

  after(async () => {
    await panel?.stop()
    for (const customer of [a, b])
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

  it("the panel's ServiceAccount reads nothing as itself: Secrets, Customers, namespaces and the token records are refused", async () => {
    const own = new KubeRest(panelCredentials.kubeConfig)
    try {
      for (const p of [
        '/api/v1/secrets',
        `/api/v1/namespaces/hp-panel-tokens-${id}/secrets`,
        `/api/v1/namespaces/${customerNamespace(a)}/secrets`,
        resourcePath({ apiVersion: API_VERSION, plural: 'customers' }),
        path(a, 'staticsites'),
        '/api/v1/namespaces',
      ]) {
        const error = await own.request('GET', p).then(
          () => assert.fail(`${p} was readable`),
          (e: unknown) => e,
        )
        assert.ok(error instanceof KubeApiError && error.status === 403, `${p}: ${String(error)}`)
      }
    } finally {
      own.close()
    }
  })

  it("the panel's ServiceAccount impersonates users, groups and its one extra, never a ServiceAccount, a UID or another extra, and writes nothing as itself", async () => {
    const review = { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }
    const customer = impersonationHeaders(customerImpersonation(a.metadata.name))
    /** The status the API server answers the panel's own token with these headers. */
    const answer = async (
      headers: ExtraHeaders,
      method = 'POST',
      p = '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      body: { body: unknown } = review,
    ) => {
      const client = new KubeRest(panelCredentials.kubeConfig, { headers })
      try {
        return await client.request(method, p, body).then(
          () => 200,
          (e: unknown) => (e instanceof KubeApiError ? e.status : String(e)),
        )
      } finally {
        client.close()
      }
    }
    // What the panel sends is allowed, so each refusal below is the impersonation's, not the request's.
    assert.equal(await answer(impersonationHeaders(actingAdminImpersonation(a.metadata.name, 'root'))), 200)
    const refused: [string, ExtraHeaders][] = [
      ['a ServiceAccount', { 'Impersonate-User': 'system:serviceaccount:kube-system:default' }],
      ['a UID', { ...customer, 'Impersonate-Uid': 'x' }],
      ['another extra', { ...customer, 'Impersonate-Extra-scopes': 'all' }],
    ]
    for (const [what, headers] of refused) assert.equal(await answer(headers), 403, what)
    const configMap = { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'as-itself' } } }
    for (const namespace of [`hp-panel-${id}`, customerNamespace(a)])
      assert.equal(
        await answer({}, 'POST', `/api/v1/namespaces/${namespace}/configmaps`, configMap),
        403,
        namespace,
      )
  })

  it("a SelfSubjectReview through the panel's client for A shows exactly A's user and groups", async () => {
    const clients = new PanelClients(panelCredentials.kubeConfig)
    try {
      const user = await selfSubjectReview(clients.forCustomer(a.metadata.name))
      assert.equal(user.username, `hostplane:customer:${a.metadata.name}`)
      assert.deepEqual(
        [...user.groups].sort(),
        [customerGroup(a.metadata.name), 'system:authenticated'].sort(),
      )
      assert.equal(user.extra, undefined)
    } finally {
      clients.close()
    }
  })

  it('GET /api/v1/me names the customer, its namespace and the Kubernetes identity its requests run as', async () => {
    const answer = await me(as(a))
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    assert.equal(answer.body.customer, a.metadata.name)
    assert.equal(answer.body.namespace, customerNamespace(a))
    assert.equal(answer.body.kubernetes.username, `hostplane:customer:${a.metadata.name}`)
    assert.deepEqual(
      [...answer.body.kubernetes.groups].sort(),
      [customerGroup(a.metadata.name), 'system:authenticated'].sort(),
    )
  })

  it('a customer creates, reads, edits and deletes its own StaticSite and Webspace, with their status in words', async () => {
    const created = await call<SiteView>('POST', '/api/v1/staticsites', {
      token: as(a),
      body: { name: 'docs', spec: { repo: 'https://git.example.com/a/docs.git' } },
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.equal(created.body.spec.ref, 'main', 'defaults are the API server’s')
    assert.deepEqual(created.body.status.routed, { state: 'pending', text: 'not routed yet' })
    const listed = await call<List>('GET', '/api/v1/staticsites', { token: as(a) })
    assert.deepEqual(
      listed.body.items.map((s) => s.name),
      ['a-site', 'docs'],
    )
    const edited = await call<SiteView>('PUT', '/api/v1/staticsites/docs', {
      token: as(a),
      body: { spec: { ...created.body.spec, ref: 'v2' }, resourceVersion: created.body.resourceVersion },
    })
    assert.equal(edited.status, 200, JSON.stringify(edited.body))
    assert.equal(edited.body.spec.ref, 'v2')
    const stale = await call('PUT', '/api/v1/staticsites/docs', {
      token: as(a),
      body: { spec: created.body.spec, resourceVersion: created.body.resourceVersion },
    })
    assert.equal(stale.status, 409)
    assert.equal((await call('DELETE', '/api/v1/staticsites/docs', { token: as(a) })).status, 204)
    const webspace = await call<WebspaceView>('POST', '/api/v1/webspaces', {
      token: as(a),
      body: { name: 'shop', spec: { runtime: 'php-8.3', tls: { mode: 'none' } } },
    })
    assert.equal(webspace.status, 201, JSON.stringify(webspace.body))
    assert.equal(webspace.body.spec.git.branch, 'main')
    assert.deepEqual(webspace.body.status.deployed, { state: 'pending', text: 'not deployed yet' })
    assert.equal((await call('DELETE', '/api/v1/webspaces/shop', { token: as(a) })).status, 204)
  })

  it("the API server's validation message comes back as 422 naming the field, an admission policy's as 403 naming it", async () => {
    const refused = await call<ErrorAnswer>('POST', '/api/v1/staticsites', {
      token: as(a),
      body: { name: 'bad', spec: { repo: 'file:///etc' } },
    })
    assert.equal(refused.status, 422, JSON.stringify(refused.body))
    assert.equal(refused.body.error.code, 'HP_ERR_PANEL_INVALID')
    assert.deepEqual(
      refused.body.error.fields?.map((f) => f.field),
      ['spec.repo'],
    )
    assert.match(refused.body.error.fields?.[0]?.message ?? '', /repo must be an https:\/\/ URL/)
    const unknownField = await call<ErrorAnswer>('POST', '/api/v1/staticsites', {
      token: as(a),
      body: {
        name: 'odd',
        spec: { repo: 'https://git.example.com/a/x.git', colour: 'red', ref: 'main', syncInterval: '5m' },
      },
    })
    assert.equal(unknownField.status, 422)
    assert.deepEqual(unknownField.body.error.fields, [{ field: 'spec.colour', message: 'unknown field' }])
    const foreignDomain = await call<ErrorAnswer>('POST', '/api/v1/staticsites', {
      token: as(a),
      body: {
        name: 'taken',
        spec: { repo: 'https://git.example.com/a/x.git', domains: [`www.${b.metadata.name}.example`] },
      },
    })
    assert.equal(foreignDomain.status, 403, JSON.stringify(foreignDomain.body))
    assert.equal(foreignDomain.body.error.fields?.[0]?.field, 'spec.domains')
    assert.match(foreignDomain.body.error.fields?.[0]?.message ?? '', /not allowed for customer pa-/)
    const foreignDomainEdit = await call<ErrorAnswer>('PUT', '/api/v1/staticsites/a-site', {
      token: as(a),
      body: {
        spec: { repo: 'https://git.example.com/a/x.git', domains: [`www.${b.metadata.name}.example`] },
      },
    })
    assert.equal(foreignDomainEdit.status, 403, 'an edit a policy refuses is not a missing site')
    assert.equal(foreignDomainEdit.body.error.fields?.[0]?.field, 'spec.domains')
    const missing = await call<ErrorAnswer>('POST', '/api/v1/webspaces', {
      token: as(a),
      body: { name: 'w', spec: {} },
    })
    assert.equal(missing.status, 422, JSON.stringify(missing.body))
    assert.ok(missing.body.error.fields?.some((f) => f.field === 'spec.runtime'))
  })

  it('a customer sees its Releases and rolls its webspace back to one', async () => {
    const releases = await call<List>('GET', '/api/v1/releases?webspace=a-web', { token: as(a) })
    assert.equal(releases.status, 200, JSON.stringify(releases.body))
    assert.deepEqual(
      releases.body.items.map((r) => r.name),
      ['a-rel'],
    )
    const rolled = await call<WebspaceView>('POST', '/api/v1/webspaces/a-web/rollback', {
      token: as(a),
      body: { release: 'a-rel' },
    })
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body))
    assert.equal(rolled.body.spec.release, 'a-rel')
    assert.equal(rolled.body.status.lastBuild?.release, 'a-rel')
  })

  it('a customer syncs a StaticSite now, rolls it back to a kept revision, and reads its domains with their claim and its usage against quota', async () => {
    const synced = await call<SiteView>('POST', '/api/v1/staticsites/a-site/sync', { token: as(a) })
    assert.equal(synced.status, 200, JSON.stringify(synced.body))
    const annotated = await admin.request<Manifest>('GET', path(a, 'staticsites', 'a-site'))
    assert.match(
      annotated.metadata.annotations?.['hostplane.dev/requested-sync'] ?? '',
      /^\d{4}-\d\d-\d\dT/,
      'the same annotation hostplane sync sets',
    )

    const [kept, newer] = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')]
    const at = new Date().toISOString()
    await admin.request('PATCH', `${path(a, 'staticsites', 'a-site')}/status`, {
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          url: `https://a-site-${customerNamespace(a)}.pages.test/`,
          revisions: [
            { commit: newer, publishedAt: at },
            { commit: kept, publishedAt: at },
          ],
          conditions: [
            {
              type: 'DomainClaimed',
              status: 'False',
              reason: 'DomainOwnedByOtherNamespace',
              message: 'another namespace holds this domain',
              lastTransitionTime: at,
            },
          ],
        },
      },
    })
    const notKept = await call<ErrorAnswer>('POST', '/api/v1/staticsites/a-site/rollback', {
      token: as(a),
      body: { commit: 'f'.repeat(40) },
    })
    assert.equal(notKept.status, 422, JSON.stringify(notKept.body))
    assert.deepEqual(notKept.body.error.fields, [
      {
        field: 'commit',
        message: `not a kept revision: pick one of ${newer.slice(0, 12)}, ${kept.slice(0, 12)}`,
      },
    ])
    const rolled = await call<SiteView>('POST', '/api/v1/staticsites/a-site/rollback', {
      token: as(a),
      body: { commit: kept },
    })
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body))
    assert.equal(rolled.body.spec.ref, kept)

    const domains = await call<DomainsView>('GET', '/api/v1/domains', { token: as(a) })
    assert.equal(domains.status, 200, JSON.stringify(domains.body))
    assert.deepEqual(domains.body.allowed, [`${a.metadata.name}.example`])
    assert.deepEqual(
      domains.body.used.find((d) => d.object === 'a-site'),
      {
        domain: `a-site-${customerNamespace(a)}.pages.test`,
        kind: 'StaticSite',
        object: 'a-site',
        claim: {
          state: 'problem',
          text: 'another namespace holds this domain',
          fix: 'another customer’s site or webspace holds this domain: pick another domain, or ask your provider if it is yours',
        },
      },
    )

    const usage = await call<UsageView>('GET', '/api/v1/usage', { token: as(a) })
    assert.equal(usage.status, 200, JSON.stringify(usage.body))
    const sites = usage.body.items.find((l) => l.resource === 'count/staticsites.hostplane.dev')
    assert.ok(sites, JSON.stringify(usage.body))
    assert.match(sites.text, new RegExp(`^static sites: \\d+ of ${sites.hard}`))
  })

  it("A can never read, list, change, delete or detect B's objects: every endpoint answers as for a name that does not exist", async () => {
    const before = await bObjects()
    const siteSpec = { repo: 'https://git.example.com/x/y.git' }
    const webSpec = { runtime: 'php-8.3', tls: { mode: 'none' } }
    const table: [string, (name: string) => [string, string, unknown?]][] = [
      ['get a StaticSite', (n) => ['GET', `/api/v1/staticsites/${n}`]],
      ['edit a StaticSite', (n) => ['PUT', `/api/v1/staticsites/${n}`, { spec: siteSpec }]],
      ['delete a StaticSite', (n) => ['DELETE', `/api/v1/staticsites/${n}`]],
      ['get a Webspace', (n) => ['GET', `/api/v1/webspaces/${n}`]],
      ['edit a Webspace', (n) => ['PUT', `/api/v1/webspaces/${n}`, { spec: webSpec }]],
      ['delete a Webspace', (n) => ['DELETE', `/api/v1/webspaces/${n}`]],
      ['sync a StaticSite now', (n) => ['POST', `/api/v1/staticsites/${n}/sync`]],
      [
        'roll a StaticSite back',
        (n) => ['POST', `/api/v1/staticsites/${n}/rollback`, { commit: 'a'.repeat(40) }],
      ],
      ['roll a Webspace back', (n) => ['POST', `/api/v1/webspaces/${n}/rollback`, { release: 'b-rel' }]],
      ['list a Webspace’s Releases', (n) => ['GET', `/api/v1/releases?webspace=${n}`]],
      ['delete an SshKey', (n) => ['DELETE', `/api/v1/sshkeys/${n}`]],
    ]
    const bNames: Record<string, string> = {
      'get a StaticSite': 'b-site',
      'edit a StaticSite': 'b-site',
      'delete a StaticSite': 'b-site',
      'sync a StaticSite now': 'b-site',
      'roll a StaticSite back': 'b-site',
      'get a Webspace': 'b-web',
      'edit a Webspace': 'b-web',
      'delete a Webspace': 'b-web',
      'roll a Webspace back': 'b-web',
      'list a Webspace’s Releases': 'b-web',
      'delete an SshKey': 'b-key',
    }
    for (const [what, request] of table) {
      const name = bNames[what] ?? assert.fail(what)
      const [method, url, body] = request(name)
      const foreign = await call(method, url, { token: as(a), body })
      const [, , missingBody] = request('no-such-object')
      const missing = await call(method, request('no-such-object')[1], { token: as(a), body: missingBody })
      assert.equal(foreign.status, 404, `${what} of B's ${name}: ${JSON.stringify(foreign.body)}`)
      assert.deepEqual(foreign, missing, `${what}: B's object and no object answer alike`)
    }
    const rollbackToForeign = await call<ErrorAnswer>('POST', '/api/v1/webspaces/a-web/rollback', {
      token: as(a),
      body: { release: 'b-rel' },
    })
    const rollbackToMissing = await call<ErrorAnswer>('POST', '/api/v1/webspaces/a-web/rollback', {
      token: as(a),
      body: { release: 'no-such-object' },
    })
    assert.equal(rollbackToForeign.status, 422)
    assert.deepEqual(
      rollbackToForeign.body.error.fields,
      rollbackToMissing.body.error.fields?.map((f) => ({
        ...f,
        message: f.message.replace('no-such-object', 'b-rel'),
      })),
    )
    // Creating an object of B's name makes A's own object, in A's namespace.
    const same = await call('POST', '/api/v1/sshkeys', {
      token: as(a),
      body: {
        name: 'b-key',
        publicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${randomBytes(32).toString('base64').slice(0, 43)}`,
      },
    })
    assert.equal(same.status, 201, JSON.stringify(same.body))
    assert.equal((await call('DELETE', '/api/v1/sshkeys/b-key', { token: as(a) })).status, 204)

    for (const [list, bName] of [
      ['staticsites', 'b-site'],
      ['webspaces', 'b-web'],
      ['releases', 'b-rel'],
      ['sshkeys', 'b-key'],
    ] as const) {
      const listed = await call<List>('GET', `/api/v1/${list}`, { token: as(a) })
      assert.equal(listed.status, 200)
      assert.ok(listed.body.items.length > 0, `${list}: A sees its own`)
      assert.ok(!listed.body.items.some((o) => o.name === bName), `${list} shows no object of B`)
    }
    const tokensOfA = await call<{ items: { description: string }[] }>('GET', '/api/v1/tokens', {
      token: as(a),
    })
    assert.deepEqual(
      tokensOfA.body.items.map((t) => t.description),
      ['tests'],
    )
    const bTokenId = (await panel.panel.tokens.list(b.metadata.name))[0]?.id ?? assert.fail('B has a token')
    assert.equal((await call('DELETE', `/api/v1/tokens/${bTokenId}`, { token: as(a) })).status, 404)
    assert.equal((await me(as(b))).status, 200, "B's token still works")

    assert.deepEqual(await bObjects(), before, "B's objects are unchanged")
  })

  it('crafted Impersonate-* headers on panel requests have no effect', async () => {
    const crafted = {
      'Impersonate-User': 'system:admin',
      'impersonate-group': `system:masters, ${customerGroup(b.metadata.name)}`,
      'IMPERSONATE-UID': 'x',
      'Impersonate-Extra-Scopes': 'all',
    }
    const answer = await me(as(a), crafted)
    assert.equal(answer.status, 200)
    assert.equal(answer.body.kubernetes.username, `hostplane:customer:${a.metadata.name}`)
    assert.deepEqual(
      [...answer.body.kubernetes.groups].sort(),
      [customerGroup(a.metadata.name), 'system:authenticated'].sort(),
    )
    assert.equal(
      (await call('GET', '/api/v1/staticsites/b-site', { token: as(a), headers: crafted })).status,
      404,
    )
    assert.equal((await me(undefined, crafted)).status, 401)
  })

  it('a token is shown once, stored as its SHA-256 only, and refused once revoked; a token is never listed', async () => {
    const created = await call<{ token: string; id: string }>('POST', '/api/v1/tokens', {
      token: as(a),
      body: { description: 'ci' },
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const { token, id: tokenId } = created.body
    assert.match(token, /^hpt_[0-9a-f]{16}_/)
    assert.equal((await me(token)).status, 200)
    const listed = await call('GET', '/api/v1/tokens', { token: as(a) })
    assert.ok(!JSON.stringify(listed.body).includes(token.slice(21)), 'no secret part in the list')
    const records = await admin.request<{ items: { data?: Record<string, string> }[] }>(
      'GET',
      `/api/v1/namespaces/hp-panel-tokens-${id}/secrets`,
    )
    const stored = records.items.flatMap((r) =>
      Object.values(r.data ?? {}).map((v) => Buffer.from(v, 'base64').toString()),
    )
    assert.ok(stored.includes(hashToken(token)), 'the record holds the SHA-256 of the token')
    assert.ok(!stored.some((v) => v.includes(token.slice(21))), 'and never its secret part')
    assert.equal((await call('DELETE', `/api/v1/tokens/${tokenId}`, { token })).status, 204)
    const refused = await me(token)
    assert.equal(refused.status, 401)
    assert.equal(refused.body.error?.code, 'HP_ERR_PANEL_UNAUTHENTICATED')
  })

  it('an admin creates, lists and revokes a customer’s token with hostplane panel-token, recorded in the audit log', async () => {
    const auditNamespace = panelNamespaces(id).audit.namespace
    const flags = [
      '--customer',
      a.metadata.name,
      '--token-namespace',
      `hp-panel-tokens-${id}`,
      '--audit-namespace',
      auditNamespace,
    ]
    const env = { KUBECONFIG: cluster.kubeconfigPath }
    const created = await runHostplane(
      ['panel-token', 'create', ...flags, '--description', 'from the CLI'],
      REPO_ROOT,
      env,
    )
    assert.equal(created.code, 0, created.stderr)
    const token = created.stdout.trim()
    assert.equal((await me(token)).body.customer, a.metadata.name)
    const listed = await runHostplane(['panel-token', 'list', ...flags], REPO_ROOT, env)
    const line =
      listed.stdout.split('\n').find((l) => l.endsWith('\tfrom the CLI')) ?? assert.fail(listed.stdout)
    const tokenId = line.split('\t')[0] ?? ''
    const revoked = await runHostplane(['panel-token', 'revoke', ...flags, tokenId], REPO_ROOT, env)
    assert.equal(revoked.code, 0, revoked.stderr)
    assert.equal((await me(token)).status, 401)

    const { username } = await selfSubjectReview(admin)
    const recorded = (await readAuditLog(admin, auditNamespace)).entries
      .filter((entry) => entry.actor.id === `kubernetes:${username}`)
      .map(({ action, actingAs, object, outcome, actor }) => ({
        action,
        actingAs,
        object,
        outcome,
        admin: actor.admin,
      }))
    const as = { actingAs: a.metadata.name, outcome: 'ok', admin: true }
    assert.deepEqual(recorded, [
      { action: 'token.create', object: { kind: 'ApiToken', name: tokenId }, ...as },
      { action: 'token.revoke', object: { kind: 'ApiToken', name: tokenId }, ...as },
    ])
    assert.ok(!JSON.stringify(recorded).includes(token), 'the log never holds the token')

    const typo = await runHostplane(['panel-token', 'create', '--customer', `nobody-${id}`], REPO_ROOT, env)
    assert.equal(typo.code, 1)
    assert.match(typo.stderr, /there is no Customer nobody-/)
  })

  it('hostplane panel-token changes nothing when the audit log cannot be written, and says so', async () => {
    const flags = ['--customer', a.metadata.name, '--token-namespace', `hp-panel-tokens-${id}`]
    const env = { KUBECONFIG: cluster.kubeconfigPath }
    const before = await runHostplane(['panel-token', 'list', ...flags], REPO_ROOT, env)
    const refused = await runHostplane(
      [
        'panel-token',
        'create',
        ...flags,
        '--audit-namespace',
        `no-audit-${id}`,
        '--description',
        'unrecorded',
      ],
      REPO_ROOT,
      env,
    )
    assert.equal(refused.code, 1)
    assert.equal(refused.stdout, '', 'no token is printed')
    assert.match(
      refused.stderr,
      new RegExp(`nothing was changed: the panel's audit log in namespace no-audit-${id} cannot be written`),
    )
    assert.equal(
      (await runHostplane(['panel-token', 'list', ...flags], REPO_ROOT, env)).stdout,
      before.stdout,
    )
  })

  it('serves the OpenAPI 3.1 document of every route without a token', async () => {
    const document = await call<{
      openapi: string
      paths: Record<string, Record<string, { requestBody?: unknown }>>
    }>('GET', '/api/openapi.json')
    assert.equal(document.status, 200)
    assert.equal(document.body.openapi, '3.1.0')
    assert.ok(document.body.paths['/api/v1/staticsites/{name}']?.put?.requestBody)
  })

  it('refuses an address with too many failed token attempts, before looking at its token', async () => {
    let answer: Answer<MeView> | undefined
    for (let attempt = 0; attempt < 21; attempt++)
      answer = await me(`hpt_${'0'.repeat(16)}_${'x'.repeat(43)}`)
    assert.equal(answer?.status, 429)
    assert.equal((await me(as(a))).status, 429)
  })

  it('hostplane panel, run as a process with the ServiceAccount kubeconfig, serves the API and its probes, and stops on SIGTERM', async () => {
    const [port, opsPort] = [await freePort(), await freePort()]
    const dir = await mkdtemp(join(tmpdir(), 'hostplane-panel-'))
    const cli = startCli(panelArgs(panelCredentials.path, id, port, opsPort), join(dir, 'panel.log'), {
      LOG_FORMAT: 'json',
    })
    try {
      await waitFor(
        () =>
          fetch(`http://127.0.0.1:${opsPort}/readyz`).then(
            (r) => (r.ok ? true : undefined),
            () => undefined,
          ),
        { timeoutMs: 60_000, describe: () => 'hostplane panel did not become ready' },
      )
      const answer = await fetch(`http://127.0.0.1:${port}/api/v1/me`, {
        headers: { authorization: `Bearer ${as(b)}` },
      })
      assert.equal(answer.status, 200)
      assert.equal(((await answer.json()) as MeView).customer, b.metadata.name)
      const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text()
      assert.match(
        metrics,
        /hostplane_panel_requests_total\{route="\/api\/v1\/me",method="GET",status="200"\} 1/,
      )
    } finally {
      await cli.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('does not start when it cannot read its token records, nor when it cannot read its audit log', async () => {
    const start = (namespaces: ReturnType<typeof panelNamespaces>) =>
      startPanel({
        kubeConfig: panelCredentials.kubeConfig,
        log: silentLogger(),
        listen: { host: '127.0.0.1', port: 0 },
        opsListen: { host: '127.0.0.1', port: 0 },
        ...namespaces,
      })
    await assert.rejects(
      start({ ...panelNamespaces(id), tokenNamespace: customerNamespace(a) }),
      /cannot read the token records in namespace sh-pa-.* as the token keeper \(is deploy\/rbac\/panel\.yaml applied\?\): .*403/,
    )
    await assert.rejects(
      start({ ...panelNamespaces(id), audit: { namespace: customerNamespace(a) } }),
      /cannot read the audit log in namespace sh-pa-.* as hostplane:panel:audit \(is deploy\/rbac\/panel\.yaml applied\?\): .*403/,
    )
  })

  it('the token keeper reads no Secret outside the token namespace', async () => {
    const clients = new PanelClients(panelCredentials.kubeConfig)
    try {
      const error = await clients.tokenKeeper
        .request('GET', `/api/v1/namespaces/${customerNamespace(a)}/secrets`)
        .then(
          () => assert.fail('readable'),
          (e: unknown) => e,
        )
      assert.ok(error instanceof KubeApiError && error.status === 403)
    } finally {
      clients.close()
    }
  })
})
