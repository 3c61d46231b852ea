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
import { type KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerGroup, customerNamespace } from '../../src/operator/customer/names.js'
import { silentLogger } from '../../src/ops/log.js'
import { type PanelProcess, startPanel } from '../../src/panel/panel-service.js'
import type { MeView } from '../../src/panel/schemas.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import { freePort } from '../serving/nginx-for-tests.js'
import {
  signInAs,
  startTestProvider,
  TEST_CLIENT,
  TestBrowser,
  type TestProvider,
  testSignInOptions,
} from './oidc-fixture.js'
import { type PanelCluster, panelCluster } from './panel-cluster.js'

const env = await clusterForTests()

interface Answer<T = unknown> {
  readonly status: number
  readonly body: T & { error?: { code: string; message: string } }
}

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

  /** One API request by `browser` (its cookies), JSON in and out. */
  const call = async <T = unknown>(
    browser: TestBrowser,
    method: string,
    path: string,
    { body, headers = {} }: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> => {
    const response = await browser.request(`${panelUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Answer<T>['body'] }
  }
  const signedIn = async (login: string) => {
    const browser = new TestBrowser()
    await signInAs(browser, panelUrl, login)
    return browser
  }
  const csrfOf = async (browser: TestBrowser) =>
    (await call<{ csrfToken: string }>(browser, 'GET', '/auth/session')).body.csrfToken
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
    panel = await startPanel({
      kubeConfig: setup.kubeConfig,
      log: silentLogger(),
      listen: { host: '127.0.0.1', port },
      opsListen: { host: '127.0.0.1', port: 0 },
      tokenNamespace: setup.tokenNamespace,
      signIn: { ...testSignInOptions(provider, panelUrl), clock: () => Date.now() + skewMs },
    })
    provider.start({ ...TEST_CLIENT, panelUrl })
    token = (await panel.panel.tokens.create(a.metadata.name, 'tests')).token
  })

  after(async () => {
    await panel?.stop()
    await provider?.close()
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

  it('a provider admin acting as no customer is refused 403 HP_ERR_PANEL_NOT_A_CUSTOMER on customer routes', async () => {
    const browser = await signedIn('root')
    for (const path of ['/api/v1/me', '/api/v1/staticsites', '/api/v1/tokens']) {
      const answer = await call(browser, 'GET', path)
      assert.equal(answer.status, 403, path)
      assert.equal(answer.body.error?.code, 'HP_ERR_PANEL_NOT_A_CUSTOMER', path)
    }
  })
})
