/**
 * Sign-in in a real browser: Debian's Chromium through the real OpenID Provider's login and
 * consent pages. Proves what only a browser decides: that it keeps the __Host- session cookie
 * (Secure, on a loopback http origin), sends the SameSite=Lax cookies on the provider's redirect
 * back, hides the HttpOnly cookie from scripts, that its own Origin and Sec-Fetch-Site headers
 * pass the panel's CSRF check (with the token in a header or a form), and that it sends no session
 * cookie with another site's form POST.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { signInThroughProvider } from './browser-panel.js'
import { chromiumUnavailable, launchChromium } from './chromium-for-tests.js'
import {
  startSignInPanel,
  startTestProvider,
  TEST_ACCOUNTS,
  TEST_CLIENT,
  type TestPanel,
  type TestProvider,
} from './oidc-fixture.js'

const skip = await chromiumUnavailable()

describe('panel sign-in in Chromium', { skip }, () => {
  let provider: TestProvider
  let panel: TestPanel
  let browser: Browser

  before(async () => {
    provider = await startTestProvider(TEST_ACCOUNTS)
    panel = await startSignInPanel(provider)
    await panel.listen()
    provider.start({ ...TEST_CLIENT, panelUrl: panel.panelUrl })
    browser = await launchChromium()
  })

  after(async () => {
    await browser.close()
    await panel.app.close()
    await provider.close()
  })

  /** A new browser context signed in as alice through the provider's pages, at /auth/session. */
  async function signInAsAlice() {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signInThroughProvider(page, {
      start: `${panel.panelUrl}/auth/login?next=/auth/session`,
      issuer: provider.issuer,
      login: 'alice',
      landing: `${panel.panelUrl}/auth/session`,
    })
    return { context, page }
  }

  it("signs in through the provider's pages, keeps the session cookie out of scripts' reach, and signs out with the CSRF token", async () => {
    const { context, page } = await signInAsAlice()
    const { identity, csrfToken } = JSON.parse((await page.textContent('body')) ?? '') as {
      identity: unknown
      csrfToken: string
    }
    assert.deepEqual(identity, { subject: 'alice', email: 'alice@acme.test', customer: 'acme', admin: false })

    const cookies = await context.cookies(panel.panelUrl)
    const session = cookies.find((c) => c.name === '__Host-hostplane-session')
    assert.ok(session, 'Chromium kept the session cookie')
    assert.deepEqual(
      { httpOnly: session.httpOnly, secure: session.secure, sameSite: session.sameSite, path: session.path },
      { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' },
    )
    assert.equal(
      cookies.find((c) => c.name === '__Host-hostplane-signin'),
      undefined,
      'the sign-in cookie is gone',
    )
    assert.equal(await page.evaluate('document.cookie'), '', 'no script reads the session cookie')

    const change = (token?: string) =>
      page.evaluate(
        async (headers) => (await fetch('/api/example', { method: 'POST', headers })).status,
        token ? { 'x-csrf-token': token } : ({} as Record<string, string>),
      )
    assert.equal(await change(), 403)
    assert.equal(await change(csrfToken), 200, "Chromium's own Origin and Sec-Fetch-Site pass")

    await page.setContent(
      `<form method="post" action="/api/example"><input type="hidden" name="_csrf" value="${csrfToken}"><button>save</button></form>`,
    )
    await Promise.all([page.waitForURL(`${panel.panelUrl}/api/example`), page.click('button')])
    assert.equal(
      (JSON.parse((await page.textContent('body')) ?? '') as { identity: { subject: string } }).identity
        .subject,
      'alice',
      'a form of the panel with the _csrf field is accepted',
    )

    const out = await page.evaluate(
      async (token) =>
        (
          await fetch('/auth/logout', {
            method: 'POST',
            headers: { 'x-csrf-token': token },
            redirect: 'manual',
          })
        ).type,
      csrfToken,
    )
    assert.equal(out, 'opaqueredirect')
    await page.goto(`${panel.panelUrl}/auth/session`)
    assert.match((await page.textContent('body')) ?? '', /HP_ERR_SIGNIN_NO_SESSION/)
    await context.close()
  })

  it("sends no session cookie with another site's form POST to the panel", async () => {
    const { context, page } = await signInAsAlice()

    // Another site (localhost is not 127.0.0.1's site) posting a form to the panel.
    await page.goto(`${provider.issuer.replace('127.0.0.1', 'localhost')}/.well-known/openid-configuration`)
    await page.setContent(
      `<form method="post" action="${panel.panelUrl}/api/example"><button>go</button></form>`,
    )
    await Promise.all([page.waitForURL(`${panel.panelUrl}/api/example`), page.click('button')])
    assert.deepEqual(JSON.parse((await page.textContent('body')) ?? ''), { identity: null })
    await context.close()
  })
})
