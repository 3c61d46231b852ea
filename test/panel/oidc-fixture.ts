/**
 * A real OpenID Provider for tests: the OpenID-certified `oidc-provider` package on a loopback
 * port, with its development login and consent pages, RP-initiated logout, PKCE required, and
 * test accounts whose claims carry the customer claim and groups. `browser` drives a sign-in as
 * a browser would: it follows redirects by hand, keeps each origin's cookies, and posts the
 * provider's login and consent forms.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import Provider from 'oidc-provider'
import { registerSignIn, type SignIn, type SignInOptions } from '../../src/panel/auth/sign-in.js'
import { freePort } from '../serving/nginx-for-tests.js'

export const TEST_CLIENT = { clientId: 'hostplane-panel', clientSecret: 'a-client-secret-for-tests-only' }

export const TEST_ACCOUNTS = {
  alice: { email: 'alice@acme.test', hostplane_customer: 'acme', groups: ['staff'] },
  root: { email: 'root@provider.test', groups: ['hostplane-admins'] },
  nobody: { email: 'nobody@elsewhere.test', groups: ['staff'] },
} as const satisfies Record<string, TestAccount>

export interface TestAccount {
  readonly email?: string
  readonly hostplane_customer?: string
  readonly groups?: readonly string[]
}

export interface TestProvider {
  readonly issuer: string
  /** The key the provider signs ID tokens with (RS256, `kid` below): lets a test forge tokens. */
  readonly signingKey: KeyObject
  readonly keyId: string
  /** Registers the panel's client once the panel's URL is known. */
  start(client: { readonly clientId: string; readonly clientSecret: string; readonly panelUrl: string }): void
  close(): Promise<void>
}

export async function startTestProvider(
  accounts: Readonly<Record<string, TestAccount>>,
): Promise<TestProvider> {
  const server: Server = createServer()
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const keyId = 'test-key'
  return {
    issuer,
    signingKey: privateKey,
    keyId,
    start({ clientId, clientSecret, panelUrl }) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [`${panelUrl}/auth/callback`],
            post_logout_redirect_uris: [`${panelUrl}/`],
            response_types: ['code'],
            grant_types: ['authorization_code'],
          },
        ],
        jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: keyId, use: 'sig', alg: 'RS256' }] },
        findAccount: (_ctx, id) => ({
          accountId: id,
          claims: () => ({ sub: id, ...accounts[id] }),
        }),
        claims: { openid: ['sub'], email: ['email'], profile: ['hostplane_customer', 'groups'] },
        // Scope claims in the ID token itself, as the panel reads them there.
        conformIdTokenClaims: false,
        pkce: { required: () => true },
        cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
        features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
      })
      const handle = provider.callback()
      server.on('request', (request, response) => void handle(request, response))
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

/** Sign-in at `panelUrl` with `provider`, whose group `hostplane-admins` makes provider admins. */
export const testSignInOptions = (provider: TestProvider, panelUrl: string): SignInOptions => ({
  issuer: provider.issuer,
  ...TEST_CLIENT,
  publicUrl: panelUrl,
  claims: { adminGroup: 'hostplane-admins' },
  allowHttpIssuer: true,
  signInPerMinute: 1000,
})

export interface TestPanel {
  readonly app: FastifyInstance
  readonly signIn: SignIn
  readonly panelUrl: string
  listen(): Promise<void>
}

/**
 * The panel's sign-in on a free loopback port with `provider` as its identity provider, and
 * `POST /api/example` (CSRF-protected) answering the session's identity. `logs` collects the log.
 */
export async function startSignInPanel(
  provider: TestProvider,
  options: Partial<SignInOptions> = {},
  logs?: string[],
): Promise<TestPanel> {
  const port = await freePort()
  const panelUrl = `http://127.0.0.1:${port}`
  const app = Fastify(
    logs ? { logger: { level: 'info', stream: { write: (line: string) => logs.push(line) } } } : {},
  )
  const signIn = registerSignIn(app, { ...testSignInOptions(provider, panelUrl), ...options })
  // Forms post url-encoded, as the panel's pages will.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )
  app.post('/api/example', { preHandler: signIn.requireCsrf }, async (request) => ({
    identity: (await signIn.sessionIdentity(request)) ?? null,
  }))
  return {
    app,
    signIn,
    panelUrl,
    listen: async () => {
      await app.listen({ port, host: '127.0.0.1' })
    },
  }
}

/** One browser: cookies per origin, redirects followed by hand. */
export class TestBrowser {
  private readonly jars = new Map<string, Map<string, string>>()

  /** The cookie `name` this browser holds for `origin`. */
  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(origin)?.get(name)
  }

  setCookie(origin: string, name: string, value: string): void {
    const jar = this.jars.get(origin) ?? new Map<string, string>()
    jar.set(name, value)
    this.jars.set(origin, jar)
  }

  /** One request, cookies sent and stored; no redirect followed. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const { origin } = new URL(url)
    const jar = this.jars.get(origin) ?? new Map<string, string>()
    this.jars.set(origin, jar)
    const headers = new Headers(init.headers)
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';')
      const at = pair.indexOf('=')
      const name = pair.slice(0, at).trim()
      const expired = attributes.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a),
      )
      if (expired) jar.delete(name)
      else jar.set(name, pair.slice(at + 1).trim())
    }
    return response
  }

  /**
   * GETs `url` and follows redirects until `stop` says a URL is where to stop (returned, not
   * requested) or a page answers; the provider's login and consent forms are filled and posted
   * on the way, as `login` would.
   */
  async follow(
    url: string,
    { login, stop }: { readonly login: string; readonly stop: (url: URL) => boolean },
  ): Promise<{ readonly url: URL; readonly response?: Response }> {
    let next = new URL(url)
    let init: RequestInit = {}
    for (let hop = 0; hop < 20; hop++) {
      if (stop(next)) return { url: next }
      const response = await this.request(next.href, init)
      init = {}
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        next = new URL(location, next)
        continue
      }
      const page = response.status === 200 ? await response.clone().text() : ''
      const form = /<form[^>]*method="post"[^>]*>|<form[^>]*>/.exec(page)?.[0] ?? ''
      const action = /action="([^"]+)"/.exec(form)?.[1]
      if (!/method="post"/.test(form) || action === undefined) return { url: next, response }
      const fields = new URLSearchParams()
      for (const input of page.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g))
        fields.set(input[1] ?? '', input[2] ?? '')
      // The autofocused submit button, as pressing Enter would.
      const button = /<button autofocus[^>]*value="([^"]*)"[^>]*name="([^"]+)"/.exec(page)
      if (button) fields.set(button[2] ?? '', button[1] ?? '')
      if (fields.get('prompt') === 'login') {
        fields.set('login', login)
        fields.set('password', 'any password')
      }
      next = new URL(action, next)
      init = {
        method: 'POST',
        body: fields.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }
    }
    throw new Error(`more than 20 redirects from ${url}`)
  }
}

/** Signs `browser` in to the panel at `panelUrl` as the provider's account `login`. */
export async function signInAs(browser: TestBrowser, panelUrl: string, login: string): Promise<void> {
  const isCallback = (url: URL) => url.origin === panelUrl && url.pathname === '/auth/callback'
  const { url, response } = await browser.follow(`${panelUrl}/auth/login`, { login, stop: isCallback })
  if (!isCallback(url)) throw new Error(`sign-in stopped at ${url.href} (${response?.status})`)
  const answer = await browser.request(url.href)
  if (answer.status !== 303) throw new Error(`the callback answered ${answer.status}: ${await answer.text()}`)
}
