import assert from 'node:assert/strict'
import { createSign } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import {
  startSignInPanel,
  startTestProvider,
  TEST_ACCOUNTS,
  TEST_CLIENT,
  TestBrowser,
  type TestProvider,
} from './oidc-fixture.js'

const CLIENT = TEST_CLIENT

type Claims = Record<string, unknown>

/** The ID token in `body` with its claims changed and signed again with the provider's key. */
function forge(provider: TestProvider, idToken: string, change: (claims: Claims) => Claims): string {
  const [header = '', payload = ''] = idToken.split('.')
  const claims = change(JSON.parse(Buffer.from(payload, 'base64url').toString()) as Claims)
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  const signature = createSign('RSA-SHA256').update(input).sign(provider.signingKey).toString('base64url')
  return `${input}.${signature}`
}

describe('panel sign-in against a real OpenID Provider (oidc-provider)', () => {
  let provider: TestProvider
  let app: FastifyInstance
  let panelUrl: string
  // Set by a test to change the ID token on its way from the provider's token endpoint.
  let tamper: ((idToken: string) => string) | undefined
  // What the panel logged, and every ID token the provider issued to it.
  const logs: string[] = []
  const idTokens: string[] = []
  // Added to the panel's clock, to age its sessions.
  let skewMs = 0

  before(async () => {
    provider = await startTestProvider(TEST_ACCOUNTS)
    const panel = await startSignInPanel(
      provider,
      {
        clock: () => Date.now() + skewMs,
        fetch: async (url, init) => {
          const response = await fetch(url, init)
          if (!url.endsWith('/token') || !response.ok) return response
          const body = (await response.json()) as { id_token: string }
          idTokens.push(body.id_token)
          if (!tamper) return Response.json(body)
          return new Response(JSON.stringify({ ...body, id_token: tamper(body.id_token) }), {
            status: response.status,
            headers: { 'content-type': 'application/json' },
          })
        },
      },
      logs,
    )
    ;({ app, panelUrl } = panel)
    await panel.listen()
    provider.start({ ...CLIENT, panelUrl })
  })

  after(async () => {
    await app.close()
    await provider.close()
  })

  const isCallback = (url: URL) => url.origin === panelUrl && url.pathname === '/auth/callback'

  /** Runs the provider's part of a sign-in as `login`; returns the callback URL, not yet requested. */
  async function toCallback(browser: TestBrowser, login: string, next = ''): Promise<URL> {
    const { url, response } = await browser.follow(`${panelUrl}/auth/login${next}`, {
      login,
      stop: isCallback,
    })
    assert.ok(isCallback(url), `stopped at ${url.href} (${response?.status}): ${await response?.text()}`)
    return url
  }

  async function signedIn(login: string): Promise<TestBrowser> {
    const browser = new TestBrowser()
    const answer = await browser.request((await toCallback(browser, login)).href)
    assert.equal(answer.status, 303, await answer.text())
    return browser
  }

  const session = (browser: TestBrowser) => browser.request(`${panelUrl}/auth/session`)

  it('signs a customer in end to end with PKCE, state and nonce, and the session names their customer', async () => {
    const browser = new TestBrowser()
    const start = await browser.request(`${panelUrl}/auth/login?next=/sites/blog`)
    assert.equal(start.status, 303)
    const authorize = new URL(start.headers.get('location') ?? '')
    assert.equal(authorize.origin, provider.issuer)
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256')
    assert.match(authorize.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/)
    assert.ok(authorize.searchParams.get('state'))
    assert.ok(authorize.searchParams.get('nonce'))
    assert.equal(authorize.searchParams.get('redirect_uri'), `${panelUrl}/auth/callback`)

    const { url } = await browser.follow(authorize.href, { login: 'alice', stop: isCallback })
    const callback = await browser.request(url.href)
    assert.equal(callback.status, 303)
    assert.equal(callback.headers.get('location'), '/sites/blog')
    assert.equal(callback.headers.get('cache-control'), 'no-store')
    const sessionCookie = callback.headers
      .getSetCookie()
      .find((c) => c.startsWith('__Host-hostplane-session='))
    assert.match(
      sessionCookie ?? '',
      /^__Host-hostplane-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; Secure; HttpOnly; SameSite=Lax$/,
    )
    assert.equal(browser.cookie(panelUrl, '__Host-hostplane-signin'), undefined, 'the sign-in cookie is gone')

    const answer = await session(browser)
    assert.equal(answer.status, 200)
    const body = (await answer.json()) as { identity: unknown; csrfToken: string }
    assert.deepEqual(body.identity, {
      subject: 'alice',
      email: 'alice@acme.test',
      customer: 'acme',
      admin: false,
    })
    assert.match(body.csrfToken, /^[A-Za-z0-9_-]{43}$/)
  })

  it('a new sign-in in the same browser gets a new session id and ends the one before', async () => {
    const browser = await signedIn('alice')
    const before = browser.cookie(panelUrl, '__Host-hostplane-session') ?? ''
    const answer = await browser.request((await toCallback(browser, 'alice')).href)
    assert.equal(answer.status, 303)
    assert.notEqual(browser.cookie(panelUrl, '__Host-hostplane-session'), before)
    assert.equal((await session(browser)).status, 200)
    const old = new TestBrowser()
    old.setCookie(panelUrl, '__Host-hostplane-session', before)
    assert.equal((await session(old)).status, 401)
  })

  it('signs an account of the admin group in as an admin of no customer', async () => {
    const browser = await signedIn('root')
    const { identity } = (await (await session(browser)).json()) as { identity: unknown }
    assert.deepEqual(identity, { subject: 'root', email: 'root@provider.test', admin: true })
  })

  it('refuses an account with no customer claim and no admin group, with a page that says why', async () => {
    const browser = new TestBrowser()
    const answer = await browser.request((await toCallback(browser, 'nobody')).href)
    assert.equal(answer.status, 403)
    assert.match(answer.headers.get('content-type') ?? '', /^text\/html/)
    const page = await answer.text()
    assert.match(page, /not assigned to a customer of this hosting platform/)
    assert.match(page, /HP_ERR_SIGNIN_NO_CUSTOMER/)
    assert.equal(browser.cookie(panelUrl, '__Host-hostplane-session'), undefined)
    assert.equal((await session(browser)).status, 401)
  })

  it('refuses a callback whose state is not the one this browser started with', async () => {
    const browser = new TestBrowser()
    const callback = await toCallback(browser, 'alice')
    callback.searchParams.set('state', 'an-attackers-state')
    const answer = await browser.request(callback.href, { headers: { accept: 'application/json' } })
    assert.equal(answer.status, 400)
    assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'HP_ERR_SIGNIN_STATE')
    assert.equal((await session(browser)).status, 401)
  })

  it('refuses a replayed callback, and a code replayed into a new sign-in is refused by the provider', async () => {
    const browser = new TestBrowser()
    const callback = await toCallback(browser, 'alice')
    const transaction = browser.cookie(panelUrl, '__Host-hostplane-signin') ?? ''
    assert.equal((await browser.request(callback.href)).status, 303)

    const replayer = new TestBrowser()
    replayer.setCookie(panelUrl, '__Host-hostplane-signin', transaction)
    const replay = await replayer.request(callback.href)
    assert.equal(replay.status, 400)
    assert.match(await replay.text(), /HP_ERR_SIGNIN_STATE/)

    // A fresh transaction of the replayer's own, carrying the used code.
    const start = await replayer.request(`${panelUrl}/auth/login`)
    const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? ''
    const reused = new URL(callback)
    reused.searchParams.set('state', state)
    const answer = await replayer.request(reused.href)
    assert.equal(answer.status, 403)
    assert.match(await answer.text(), /HP_ERR_SIGNIN_PROVIDER_DENIED/)
    assert.equal((await session(replayer)).status, 401)
  })

  it('the provider requires the PKCE verifier: the code alone buys no token', async () => {
    const browser = new TestBrowser()
    const callback = await toCallback(browser, 'alice')
    const code = callback.searchParams.get('code') ?? ''
    const answer = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${panelUrl}/auth/callback`,
      }).toString(),
    })
    assert.equal(answer.status, 400)
    const error = (await answer.json()) as { error: string; error_description: string }
    assert.equal(error.error, 'invalid_grant')
    // The same code with the panel's verifier is good: only the verifier was missing.
    assert.equal((await browser.request(`${panelUrl}/auth/callback${new URL(callback).search}`)).status, 303)
  })

  const now = () => Math.floor(Date.now() / 1000)
  const refusedTokens: readonly [string, (idToken: string) => string][] = [
    [
      'a signature that does not match the claims',
      (t) => {
        const [h, p, s] = t.split('.')
        const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Claims
        return `${h}.${Buffer.from(JSON.stringify({ ...claims, hostplane_customer: 'other' })).toString('base64url')}.${s}`
      },
    ],
    ['another audience', (t) => forge(provider, t, (c) => ({ ...c, aud: 'another-client' }))],
    ['another issuer', (t) => forge(provider, t, (c) => ({ ...c, iss: 'https://evil.test' }))],
    ['an expired token', (t) => forge(provider, t, (c) => ({ ...c, iat: now() - 7200, exp: now() - 3600 }))],
    ['a token issued in the future', (t) => forge(provider, t, (c) => ({ ...c, iat: now() + 3600 }))],
    ['a nonce of another sign-in', (t) => forge(provider, t, (c) => ({ ...c, nonce: 'another-nonce' }))],
  ]
  for (const [what, change] of refusedTokens)
    it(`refuses an ID token with ${what}`, async () => {
      const browser = new TestBrowser()
      const callback = await toCallback(browser, 'alice')
      tamper = change
      try {
        const answer = await browser.request(callback.href)
        assert.equal(answer.status, 403)
        const page = await answer.text()
        assert.match(page, /HP_ERR_SIGNIN_TOKEN_INVALID/)
        assert.match(page, /could not be verified/)
      } finally {
        tamper = undefined
      }
      assert.equal(browser.cookie(panelUrl, '__Host-hostplane-session'), undefined)
    })

  it('accepts an ID token whose clock is a few seconds off (tolerance 30 s)', async () => {
    const browser = new TestBrowser()
    const callback = await toCallback(browser, 'alice')
    tamper = (t) => forge(provider, t, (c) => ({ ...c, iat: now() + 10 }))
    try {
      assert.equal((await browser.request(callback.href)).status, 303)
    } finally {
      tamper = undefined
    }
  })

  it('refuses a cookie-authenticated change without the CSRF token or from another origin, accepts it with both', async () => {
    const browser = await signedIn('alice')
    const { csrfToken } = (await (await session(browser)).json()) as { csrfToken: string }
    const post = (headers: Record<string, string>) =>
      browser.request(`${panelUrl}/api/example`, {
        method: 'POST',
        headers: { accept: 'application/json', ...headers },
      })
    const code = async (answer: Response) =>
      ((await answer.json()) as { error?: { code: string } }).error?.code

    const noToken = await post({ origin: panelUrl })
    assert.equal(noToken.status, 403)
    assert.equal(await code(noToken), 'HP_ERR_SIGNIN_CSRF')
    const wrongToken = await post({ origin: panelUrl, 'x-csrf-token': 'guessed' })
    assert.equal(wrongToken.status, 403)
    const otherOrigin = await post({ origin: 'https://evil.test', 'x-csrf-token': csrfToken })
    assert.equal(otherOrigin.status, 403)
    const crossSite = await post({ 'sec-fetch-site': 'cross-site', 'x-csrf-token': csrfToken })
    assert.equal(crossSite.status, 403)

    const accepted = await post({
      origin: panelUrl,
      'sec-fetch-site': 'same-origin',
      'x-csrf-token': csrfToken,
    })
    assert.equal(accepted.status, 200)
    assert.deepEqual(
      ((await accepted.json()) as { identity: { customer: string } }).identity.customer,
      'acme',
    )

    const inBody = await browser.request(`${panelUrl}/api/example`, {
      method: 'POST',
      headers: { origin: panelUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ _csrf: csrfToken }),
    })
    assert.equal(inBody.status, 200, 'the token may come in the body as _csrf')

    const bearer = await fetch(`${panelUrl}/api/example`, {
      method: 'POST',
      headers: { authorization: 'Bearer hp_some_api_token' },
    })
    assert.equal(bearer.status, 200, 'a bearer-token request is not cookie-based and needs no CSRF token')
  })

  it('signing out needs the CSRF token, ends the session for every copy of the cookie, and ends the provider session', async () => {
    const browser = await signedIn('alice')
    const stolen = browser.cookie(panelUrl, '__Host-hostplane-session') ?? ''
    const { csrfToken } = (await (await session(browser)).json()) as { csrfToken: string }

    assert.equal((await browser.request(`${panelUrl}/auth/logout`, { method: 'POST' })).status, 403)
    assert.equal((await session(browser)).status, 200)

    const out = await browser.request(`${panelUrl}/auth/logout`, {
      method: 'POST',
      headers: { origin: panelUrl, 'x-csrf-token': csrfToken },
    })
    assert.equal(out.status, 303)
    const endSession = new URL(out.headers.get('location') ?? '')
    assert.equal(endSession.origin, provider.issuer)
    assert.ok(endSession.searchParams.get('id_token_hint'))
    assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), `${panelUrl}/`)
    assert.match(out.headers.getSetCookie().join('\n'), /__Host-hostplane-session=; Path=\/; Max-Age=0/)
    assert.equal((await session(browser)).status, 401)

    const copy = new TestBrowser()
    copy.setCookie(panelUrl, '__Host-hostplane-session', stolen)
    assert.equal((await session(copy)).status, 401)

    // The provider's logout page confirms by a form; once posted, the provider sends the browser back.
    const back = await browser.follow(endSession.href, {
      login: 'alice',
      stop: (url) => url.origin === panelUrl,
    })
    assert.equal(back.url.href, `${panelUrl}/`)
  })

  it('ends a session unused for the idle time (30 minutes)', async () => {
    const browser = await signedIn('alice')
    skewMs = 29 * 60_000
    try {
      assert.equal((await session(browser)).status, 200, 'used within 29 minutes')
      skewMs += 30 * 60_000
      assert.equal((await session(browser)).status, 401)
    } finally {
      skewMs = 0
    }
  })

  it('never logs the client secret or an ID token, and logs sign-ins and refusals with their code', () => {
    const text = logs.join('')
    assert.ok(idTokens.length > 5)
    assert.ok(!text.includes(CLIENT.clientSecret))
    for (const token of idTokens) assert.ok(!text.includes(token.split('.')[2] ?? token))
    assert.match(text, /"subject":"alice","customer":"acme","admin":false,"msg":"signed in"/)
    for (const check of ['JWT signature verification failed', '\\"aud\\" (audience)', '\\"nonce\\"'])
      assert.ok(
        text.includes(`"code":"HP_ERR_SIGNIN_TOKEN_INVALID","detail":"OAUTH_`) && text.includes(check),
        check,
      )
  })

  it('rate-limits sign-in attempts per address on the login and callback endpoints', async () => {
    const { app: panel } = await startSignInPanel(provider, { signInPerMinute: 3 })
    try {
      const statuses = []
      for (const path of ['/auth/login', '/auth/login', '/auth/callback?state=x&code=y', '/auth/login'])
        statuses.push(
          (await panel.inject({ method: 'GET', url: path, remoteAddress: '192.0.2.7' })).statusCode,
        )
      assert.deepEqual(statuses, [303, 303, 400, 429])
      const limited = await panel.inject({ method: 'GET', url: '/auth/callback', remoteAddress: '192.0.2.7' })
      assert.equal(limited.statusCode, 429)
      assert.match(limited.body, /Too many sign-in attempts/)
      const other = await panel.inject({ method: 'GET', url: '/auth/login', remoteAddress: '192.0.2.8' })
      assert.equal(other.statusCode, 303, 'another address is not limited')
    } finally {
      await panel.close()
    }
  })

  it('says the provider is unavailable when it cannot be reached', async () => {
    const { app: panel } = await startSignInPanel(provider, { issuer: 'http://127.0.0.1:9' })
    try {
      const answer = await panel.inject({ method: 'GET', url: '/auth/login' })
      assert.equal(answer.statusCode, 502)
      assert.match(answer.body, /could not be reached/)
      assert.match(answer.body, /HP_ERR_SIGNIN_PROVIDER_UNAVAILABLE/)
    } finally {
      await panel.close()
    }
  })
})
