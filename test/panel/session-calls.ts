/**
 * Requests to a panel as a browser would make them (oidc-fixture.ts's TestBrowser, its cookies):
 * JSON in and out, a sign-in through the test provider, and a change with the session's CSRF
 * token from the panel's own origin. `panelUrl` is read at each call: tests learn it in `before`.
 */
import { signInAs, TestBrowser } from './oidc-fixture.js'

export interface Answer<T = unknown> {
  readonly status: number
  readonly headers: Headers
  /** The body as it came. */
  readonly text: string
  /** The body parsed, when it is JSON. */
  readonly body: T & { error?: { code: string; message: string } }
}

export interface CallOptions {
  readonly body?: unknown
  readonly headers?: Record<string, string>
}

export function sessionCalls(panelUrl: () => string) {
  const call = async <T = unknown>(
    browser: TestBrowser,
    method: string,
    path: string,
    { body, headers = {} }: CallOptions = {},
  ): Promise<Answer<T>> => {
    const response = await browser.request(`${panelUrl()}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    const json = response.headers.get('content-type')?.startsWith('application/json') && text !== ''
    return {
      status: response.status,
      headers: response.headers,
      text,
      body: (json ? JSON.parse(text) : {}) as Answer<T>['body'],
    }
  }
  const signedIn = async (login: string) => {
    const browser = new TestBrowser()
    await signInAs(browser, panelUrl(), login)
    return browser
  }
  const csrfOf = async (browser: TestBrowser) =>
    (await call<{ csrfToken: string }>(browser, 'GET', '/auth/session')).body.csrfToken
  /** A change by `browser`'s session, with its CSRF token from the panel's own origin. */
  const change = async <T = unknown>(browser: TestBrowser, method: string, path: string, body?: unknown) =>
    call<T>(browser, method, path, {
      body,
      headers: { origin: panelUrl(), 'x-csrf-token': await csrfOf(browser) },
    })
  return { call, signedIn, csrfOf, change }
}
