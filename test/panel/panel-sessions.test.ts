/**
 * `hostplane panel` with OpenID Connect sign-in on a real API server and a real OpenID Provider:
 * the API takes a browser session as well as an API token, state-changing requests of a session
 * need its CSRF token, and a session's requests impersonate its customer exactly as a token's do.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import type { Manifest } from '../../src/kube/object.js'
import { KubeApiError, type KubeRest, resourcePath } from '../../src/kube/rest.js'
import { PanelClients } from '../../src/panel/kube-clients.js'
import { customerGroup, customerNamespace } from '../../src/operator/customer/names.js'
import type { PanelProcess } from '../../src/panel/panel-service.js'
import type { CustomerView, MeView } from '../../src/panel/schemas.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import { freePort } from '../serving/nginx-for-tests.js'
import { startTestProvider, TEST_CLIENT, TestBrowser, type TestProvider } from './oidc-fixture.js'
import { type PanelCluster, panelCluster, startSignedInPanel } from './panel-cluster.js'
import { sessionCalls } from './session-calls.js'

const env = await clusterForTests()

describe('the panel API with OpenID Connect sessions, on a real API server', { skip: env.skip }, () => {
  let setup: PanelCluster
  let admin: KubeRest
  let provider: TestProvider
  let panel: PanelProcess
  let panelUrl: string
  let token: string
  // Added to the panel's clock, to age its sessions.
  let skewMs = 0
  const id = randomBytes(3).toString('hex')
  const a = sharedCustomer(`sa-${id}`)
  const b = sharedCustomer(`sb-${id}`)
  // Made through the admin API by a test.
  const created = `sc-${id}`

  const { call, signedIn, csrfOf, change } = sessionCalls(() => panelUrl)
  const site = (name: string) => ({ name, spec: { repo: `https://git.example.com/${name}.git` } })

  before(async () => {
    const cluster = await env.get()
    setup = await panelCluster(cluster, id, [a, b])
    admin = setup.admin
    provider = await startTestProvider({
      alice: { email: 'alice@a.test', hostplane_customer: a.metadata.name, groups: ['staff'] },
      root: { email: 'root@provider.test', groups: ['hostplane-admins'] },
    })
    const port = await freePort()
    panelUrl = `http://127.0.0.1:${port}`
    panel = await startSignedInPanel(setup, provider, { port, clock: () => Date.now() + skewMs })
    provider.start({ ...TEST_CLIENT, panelUrl })
    token = (await panel.panel.tokens.create(a.metadata.name, 'tests')).token
  })

  after(async () => {
    await panel?.stop()
    await provider?.close()
    await admin
      ?.request('DELETE', resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: created }))
      .catch(() => {})
    await setup?.remove()
    await env.release()
  })

  it("a signed-in customer's session cookie reads GET /api/v1/me as its customer, with that customer's Kubernetes user and groups", async () => {
    const me = await call<MeView>(await signedIn('alice'), 'GET', '/api/v1/me')
    assert.equal(me.status, 200, JSON.stringify(me.body))
    assert.equal(me.body.customer, a.metadata.name)
    assert.equal(me.body.namespace, customerNamespace(a))
    assert.equal(me.body.kubernetes.username, `hostplane:customer:${a.metadata.name}`)
    assert.deepEqual(
      [...me.body.kubernetes.groups].sort(),
      [customerGroup(a.metadata.name), 'system:authenticated'].sort(),
    )
  })

  it('a change made with the session is refused (403) without its CSRF token or from another origin, and made with it', async () => {
    const browser = await signedIn('alice')
    const csrfToken = await csrfOf(browser)
    const without = await call(browser, 'POST', '/api/v1/staticsites', { body: site('no-token') })
    assert.equal(without.status, 403)
    assert.equal(without.body.error?.code, 'HP_ERR_SIGNIN_CSRF')
    const elsewhere = await call(browser, 'POST', '/api/v1/staticsites', {
      body: site('elsewhere'),
      headers: { origin: 'https://evil.test', 'x-csrf-token': csrfToken },
    })
    assert.equal(elsewhere.status, 403)
    const made = await call(browser, 'POST', '/api/v1/staticsites', {
      body: site('with-token'),
      headers: { origin: panelUrl, 'x-csrf-token': csrfToken },
    })
    assert.equal(made.status, 201, JSON.stringify(made.body))
    const stored = await admin.request<Manifest>(
      'GET',
      resourcePath({
        apiVersion: API_VERSION,
        plural: 'staticsites',
        namespace: customerNamespace(a),
        name: 'with-token',
      }),
    )
    assert.equal(stored.metadata.name, 'with-token')
    for (const name of ['no-token', 'elsewhere'])
      assert.equal(
        (await call(browser, 'GET', `/api/v1/staticsites/${name}`)).status,
        404,
        `${name} was not made`,
      )
  })

  it('an API token still works without CSRF token, and a request with a Bearer header never falls back to the session', async () => {
    const bearer = (value: string) => ({ headers: { authorization: `Bearer ${value}` } })
    const tokenOnly = new TestBrowser()
    assert.equal((await call(tokenOnly, 'GET', '/api/v1/me', bearer(token))).status, 200)
    const made = await call(tokenOnly, 'POST', '/api/v1/staticsites', {
      body: site('by-token'),
      headers: bearer(token).headers,
    })
    assert.equal(made.status, 201, JSON.stringify(made.body))
    const browser = await signedIn('alice')
    const wrong = await call(browser, 'GET', '/api/v1/me', bearer('hpt_0000000000000000_nope'))
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body.error?.code, 'HP_ERR_PANEL_UNAUTHENTICATED')
  })

  it("a signed-out session's cookie, and one whose session expired, are refused 401", async () => {
    const out = await signedIn('alice')
    const cookie = out.cookie(panelUrl, '__Host-hostplane-session') ?? assert.fail('no session cookie')
    const csrfToken = await csrfOf(out)
    const logout = await out.request(`${panelUrl}/auth/logout`, {
      method: 'POST',
      headers: { origin: panelUrl, 'x-csrf-token': csrfToken },
    })
    assert.equal(logout.status, 303)
    const copied = new TestBrowser()
    copied.setCookie(panelUrl, '__Host-hostplane-session', cookie)
    const after = await call(copied, 'GET', '/api/v1/me')
    assert.equal(after.status, 401)
    assert.equal(after.body.error?.code, 'HP_ERR_PANEL_UNAUTHENTICATED')

    const idle = await signedIn('alice')
    assert.equal((await call(idle, 'GET', '/api/v1/me')).status, 200)
    skewMs = 31 * 60_000
    try {
      assert.equal((await call(idle, 'GET', '/api/v1/me')).status, 401)
    } finally {
      skewMs = 0
    }
  })

  it("A's session finds B's objects through no page nor form: each answers as for a name that does not exist", async () => {
    const namespace = customerNamespace(b)
    const bObjects = [
      {
        kind: 'StaticSite',
        plural: 'staticsites',
        name: 'b-site',
        spec: { repo: 'https://git.example.com/b.git' },
      },
      {
        kind: 'Webspace',
        plural: 'webspaces',
        name: 'b-web',
        spec: { runtime: 'php-8.3', tls: { mode: 'none' } },
      },
    ].map(({ kind, plural, name, spec }) => ({
      path: resourcePath({ apiVersion: API_VERSION, plural, namespace, name }),
      body: { apiVersion: API_VERSION, kind, metadata: { name, namespace }, spec },
    }))
    for (const { path, body } of bObjects)
      await admin.request('POST', path.slice(0, path.lastIndexOf('/')), { body })
    const versions = () =>
      Promise.all(
        bObjects.map(
          async ({ path }) => (await admin.request<Manifest>('GET', path)).metadata.resourceVersion,
        ),
      )
    const before = await versions()

    const browser = await signedIn('alice')
    const csrf = await csrfOf(browser)
    /** The page a request gets, with the name it asked for made neutral. */
    const page = async (method: string, path: string, form: Record<string, string>, name: string) => {
      const answer = await browser.request(`${panelUrl}${path.replace('NAME', name)}`, {
        method,
        headers: { origin: panelUrl, 'content-type': 'application/x-www-form-urlencoded' },
        ...(method === 'POST' ? { body: new URLSearchParams({ _csrf: csrf, ...form }).toString() } : {}),
      })
      return { status: answer.status, text: (await answer.text()).replaceAll(name, 'NAME') }
    }
    const requests: [string, string, Record<string, string>?][] = [
      ['GET', '/sites/NAME'],
      ['GET', '/sites/NAME/edit'],
      ['GET', '/sites/NAME/delete'],
      ['POST', '/sites/NAME', { repo: 'https://git.example.com/a.git' }],
      ['POST', '/sites/NAME/sync'],
      ['POST', '/sites/NAME/rollback', { commit: 'a'.repeat(40) }],
      ['POST', '/sites/NAME/delete'],
      ['GET', '/webspaces/NAME'],
      ['GET', '/webspaces/NAME/edit'],
      ['GET', '/webspaces/NAME/delete'],
      ['POST', '/webspaces/NAME', { runtime: 'php-8.3', tls: 'none' }],
      ['POST', '/webspaces/NAME/rollback', { release: 'r' }],
      ['POST', '/webspaces/NAME/follow'],
      ['POST', '/webspaces/NAME/delete'],
    ]
    for (const [method, path, form = {}] of requests) {
      const foreign = await page(method, path, form, path.startsWith('/sites') ? 'b-site' : 'b-web')
      assert.equal(foreign.status, 404, `${method} ${path}: ${foreign.text.slice(0, 300)}`)
      assert.deepEqual(foreign, await page(method, path, form, 'no-such-object'), `${method} ${path}`)
    }
    assert.deepEqual(await versions(), before, "B's objects are unchanged")
  })

  it('a provider admin acting as no customer is refused 403 HP_ERR_PANEL_NOT_A_CUSTOMER on customer routes', async () => {
    const browser = await signedIn('root')
    for (const path of ['/api/v1/me', '/api/v1/staticsites', '/api/v1/tokens']) {
      const answer = await call(browser, 'GET', path)
      assert.equal(answer.status, 403, path)
      assert.equal(answer.body.error?.code, 'HP_ERR_PANEL_NOT_A_CUSTOMER', path)
    }
  })

  const sitePath = (customer: string, name?: string) =>
    resourcePath({
      apiVersion: API_VERSION,
      plural: 'staticsites',
      namespace: customerNamespace(customer === a.metadata.name ? a : b),
      name,
    })

  it('a customer’s session and an API token are refused 403 HP_ERR_PANEL_NOT_ADMIN on every admin route', async () => {
    const browser = await signedIn('alice')
    const routes: readonly [string, string, unknown?][] = [
      ['POST', '/api/v1/admin/act-as', { customer: b.metadata.name }],
      ['DELETE', '/api/v1/admin/act-as'],
      ['GET', '/api/v1/admin/customers'],
      ['GET', `/api/v1/admin/customers/${b.metadata.name}`],
      ['POST', '/api/v1/admin/customers', { name: `x-${id}`, spec: sharedCustomer(`x-${id}`).spec }],
      ['PATCH', `/api/v1/admin/customers/${b.metadata.name}`, { suspended: true }],
    ]
    for (const [method, path, body] of routes) {
      const bySession = await change(browser, method, path, body)
      assert.equal(bySession.status, 403, `${method} ${path}: ${JSON.stringify(bySession.body)}`)
      assert.equal(bySession.body.error?.code, 'HP_ERR_PANEL_NOT_ADMIN', `${method} ${path}`)
      const byToken = await call(new TestBrowser(), method, path, {
        body,
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(byToken.status, 403, `${method} ${path} by token`)
    }
    const still = await admin.request<{ spec: { suspended: boolean } }>(
      'GET',
      resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: b.metadata.name }),
    )
    assert.equal(still.spec.suspended, false)
  })

  it('an admin acts as A: its session then sees exactly A’s objects as A’s Kubernetes user, until it stops', async () => {
    for (const [customer, name] of [
      [a.metadata.name, 'a-only'],
      [b.metadata.name, 'b-only'],
    ] as const)
      await admin.request('POST', sitePath(customer), {
        body: {
          apiVersion: API_VERSION,
          kind: 'StaticSite',
          metadata: { name },
          spec: { repo: `https://git.example.com/${name}.git` },
        },
      })
    const root = await signedIn('root')
    const withoutToken = await call(root, 'POST', '/api/v1/admin/act-as', {
      body: { customer: a.metadata.name },
    })
    assert.equal(withoutToken.status, 403, 'acting as a customer is a change: it needs the CSRF token')
    assert.equal((await change(root, 'POST', '/api/v1/admin/act-as', { customer: `none-${id}` })).status, 404)
    const acting = await change<{ actingAs: string }>(root, 'POST', '/api/v1/admin/act-as', {
      customer: a.metadata.name,
    })
    assert.equal(acting.status, 200, JSON.stringify(acting.body))
    assert.equal(acting.body.actingAs, a.metadata.name)

    const me = await call<MeView>(root, 'GET', '/api/v1/me')
    assert.equal(me.status, 200, JSON.stringify(me.body))
    assert.deepEqual(me.body.actor, {
      id: 'oidc:root',
      method: 'oidc',
      admin: true,
      email: 'root@provider.test',
    })
    assert.equal(me.body.actingAs, a.metadata.name)
    assert.equal(me.body.kubernetes.username, `hostplane:customer:${a.metadata.name}`)
    assert.deepEqual(
      [...me.body.kubernetes.groups].sort(),
      [customerGroup(a.metadata.name), 'system:authenticated'].sort(),
    )
    const sites = await call<{ items: { name: string }[] }>(root, 'GET', '/api/v1/staticsites')
    const names = sites.body.items.map((site) => site.name)
    assert.ok(names.includes('a-only') && !names.includes('b-only'), names.join(', '))
    assert.equal((await call(root, 'GET', '/api/v1/staticsites/b-only')).status, 404)

    const stopped = await change<{ actingAs?: string }>(root, 'DELETE', '/api/v1/admin/act-as')
    assert.equal(stopped.status, 200)
    assert.equal(stopped.body.actingAs, undefined)
    assert.equal(
      (await call(root, 'GET', '/api/v1/staticsites')).body.error?.code,
      'HP_ERR_PANEL_NOT_A_CUSTOMER',
    )
  })

  it('the API server sees an acting admin as the customer exactly, with the admin named in an extra; an admin’s own user reads no Secret', async () => {
    const clients = new PanelClients(setup.kubeConfig)
    try {
      const review = await clients.forCustomer(a.metadata.name, 'root').request<{
        status: { userInfo: { username: string; groups: string[]; extra?: Record<string, string[]> } }
      }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      })
      assert.equal(review.status.userInfo.username, `hostplane:customer:${a.metadata.name}`)
      assert.deepEqual(review.status.userInfo.extra, {
        'hostplane.dev/acting-admin': ['hostplane:admin:root'],
      })
      const secrets = await clients
        .forAdmin('root')
        .request('GET', '/api/v1/secrets')
        .then(
          () => 'read',
          (error: unknown) => (error instanceof KubeApiError ? error.status : String(error)),
        )
      assert.equal(secrets, 403)
    } finally {
      clients.close()
    }
  })

  it('an admin creates a Customer, finds it listed with its state in words, and changes its tier, size and suspension', async () => {
    const root = await signedIn('root')
    const spec = { ...sharedCustomer(created).spec }
    const made = await change<CustomerView>(root, 'POST', '/api/v1/admin/customers', { name: created, spec })
    assert.equal(made.status, 201, JSON.stringify(made.body))
    assert.equal(made.body.namespace, `sh-${created}`)
    assert.equal(made.body.status.ready.state, 'pending')
    const stored = await admin.request<{ spec: { email: string } }>(
      'GET',
      resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: created }),
    )
    assert.equal(stored.spec.email, spec.email)
    assert.equal((await change(root, 'POST', '/api/v1/admin/customers', { name: created, spec })).status, 409)

    const list = await call<{ items: CustomerView[] }>(root, 'GET', '/api/v1/admin/customers')
    assert.ok(list.body.items.some((c) => c.name === created && c.status.suspended.text === 'not suspended'))

    const invalid = await change<CustomerView>(root, 'PATCH', `/api/v1/admin/customers/${created}`, {
      size: 'xlarge',
    })
    assert.equal(invalid.status, 422, JSON.stringify(invalid.body))
    assert.ok(
      (invalid.body as { error?: { fields?: { field: string }[] } }).error?.fields?.some(
        (f) => f.field === 'spec.size',
      ),
      JSON.stringify(invalid.body),
    )
    const changed = await change<CustomerView>(root, 'PATCH', `/api/v1/admin/customers/${created}`, {
      tier: 'dedicated',
      size: 'large',
      suspended: true,
    })
    assert.equal(changed.status, 200, JSON.stringify(changed.body))
    assert.equal(changed.body.spec.tier, 'dedicated')
    assert.equal(changed.body.status.suspended.state, 'problem')
    const renamed = await change<CustomerView>(root, 'PATCH', `/api/v1/admin/customers/${created}`, {
      displayName: 'Renamed',
    })
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body))
    const read = await call<CustomerView>(root, 'GET', `/api/v1/admin/customers/${created}`)
    assert.deepEqual(
      [read.body.spec.tier, read.body.spec.size, read.body.spec.suspended],
      ['dedicated', 'large', true],
    )
    assert.equal((await call(root, 'GET', `/api/v1/admin/customers/none-${id}`)).status, 404)
    const stale = await change(root, 'PATCH', `/api/v1/admin/customers/${created}`, {
      displayName: 'late',
      resourceVersion: made.body.resourceVersion,
    })
    assert.equal(stale.status, 409)
  })
})
