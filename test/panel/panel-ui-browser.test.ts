/**
 * The panel's web UI in a real browser (Debian's Chromium through playwright-core) on the real
 * process, the real API server and the real OpenID Provider: a customer signs in through the
 * provider's pages, creates a StaticSite with the form and sees it listed, routed once the status
 * says so (the test writes the status as the cluster's admin: no operator runs here, while
 * panel-pipeline-browser.test.ts has the real operator and syncer behind the form), sees the API
 * server's refusal next to the field it is about, rolls a site back, works the pages by keyboard
 * alone and on a phone-sized screen; no page breaks its Content-Security-Policy or loads anything
 * from another origin. With HOSTPLANE_SCREENSHOTS=1 it writes the screenshots docs/panel.md shows.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { API_VERSION } from '../../src/api/kind.js'
import type { StaticSite, Webspace } from '../../src/api/resources.js'
import type { KubeRest } from '../../src/kube/rest.js'
import { resourcePath } from '../../src/kube/rest.js'
import { customerNamespace } from '../../src/operator/customer/names.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import { type BrowserPanel, startBrowserPanel } from './browser-panel.js'
import { chromiumUnavailable, seriousAxeViolations } from './chromium-for-tests.js'
import type { TestProvider } from './oidc-fixture.js'
import { type PanelCluster, panelCluster } from './panel-cluster.js'
import { testRelease } from './test-release.js'

const env = await clusterForTests()
const noChromium = await chromiumUnavailable()
const SCREENSHOTS = process.env.HOSTPLANE_SCREENSHOTS === '1'

/** Every page a customer has, once the tests before have made a site, a webspace and a key. */
const PAGES = [
  '/',
  '/sites',
  '/sites/new',
  '/sites/blog',
  '/sites/blog/edit',
  '/sites/blog/delete',
  '/webspaces',
  '/webspaces/new',
  '/webspaces/shop',
  '/webspaces/shop/edit',
  '/webspaces/shop/delete',
  '/ssh-keys',
  '/tokens',
]

/** What one browser context saw: requests to other origins, pages' CSPs and CSP violations. */
interface Watched {
  readonly context: BrowserContext
  readonly page: Page
  readonly foreign: string[]
  readonly policies: string[]
  readonly violations: string[]
}

describe('the web UI of hostplane panel in Chromium', { skip: env.skip || noChromium }, () => {
  let setup: PanelCluster
  let admin: KubeRest
  let ui: BrowserPanel
  let provider: TestProvider
  let panelUrl: string
  let browser: Browser
  const id = randomBytes(3).toString('hex')
  const customer = sharedCustomer(`ui-${id}`)
  const namespace = customerNamespace(customer)
  const commits = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')] as const

  const webspacePath = (name: string, sub?: string) =>
    `${resourcePath({ apiVersion: API_VERSION, plural: 'webspaces', namespace, name })}${sub ? `/${sub}` : ''}`
  const sitePath = (name: string, sub?: string) =>
    `${resourcePath({ apiVersion: API_VERSION, plural: 'staticsites', namespace, name })}${sub ? `/${sub}` : ''}`

  before(async () => {
    const cluster = await env.get()
    setup = await panelCluster(cluster, id, [customer])
    admin = setup.admin
    ui = await startBrowserPanel(setup, {
      alice: { email: 'alice@ui.test', hostplane_customer: customer.metadata.name, groups: ['staff'] },
    })
    ;({ provider, panelUrl, browser } = ui)
  })

  after(async () => {
    await ui?.stop()
    await setup?.remove()
    await env.release()
  })

  /** A browser context that records what leaves the panel's origin and what its pages' CSP says. */
  async function open(viewport = { width: 1200, height: 900 }): Promise<Watched> {
    const context = await browser.newContext({ viewport })
    const page = await context.newPage()
    const watched: Watched = { context, page, foreign: [], policies: [], violations: [] }
    page.on('request', (request) => {
      const { origin } = new URL(request.url())
      // The provider's own login pages load what they like; the panel's pages load nothing foreign.
      const fromProvider = request.frame().url().startsWith(provider.issuer)
      if (origin !== panelUrl && origin !== provider.issuer && !fromProvider)
        watched.foreign.push(request.url())
    })
    page.on('response', (response) => {
      const page = response.url().startsWith(panelUrl) && response.request().resourceType() === 'document'
      if (page && response.status() < 300)
        watched.policies.push(`${response.url()}: ${response.headers()['content-security-policy'] ?? 'none'}`)
    })
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) watched.violations.push(message.text())
    })
    return watched
  }

  /** Signs in through the provider's login and consent pages, starting at `path` of the panel. */
  const signIn = ({ page }: Watched, path: string) => ui.signIn(page, path, 'alice')

  const shoot = async (page: Page, name: string) => {
    if (SCREENSHOTS)
      await page.screenshot({ path: join(REPO_ROOT, 'docs', 'images', `panel-${name}.png`), fullPage: true })
  }

  const mainText = async (page: Page) => (await page.textContent('main')) ?? ''

  /** What the operator and the syncer would write once the site is served: routed, two revisions. */
  async function markServed(name: string) {
    const now = new Date().toISOString()
    const condition = (type: string, reason: string) => ({
      type,
      status: 'True',
      reason,
      message: '',
      lastTransitionTime: now,
    })
    await admin.request('PATCH', sitePath(name, 'status'), {
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          url: `https://${name}-${namespace}.pages.test/`,
          lastSync: now,
          lastCommit: commits[1],
          revisions: [
            { commit: commits[1], publishedAt: now },
            { commit: commits[0], publishedAt: new Date(Date.now() - 3_600_000).toISOString() },
          ],
          conditions: [
            condition('Ready', 'Ready'),
            condition('Routed', 'Routed'),
            condition('DomainClaimed', 'Claimed'),
            condition('CertificateReady', 'Issued'),
            condition('Synced', 'Published'),
          ],
        },
      },
    })
  }

  it('signs in, creates a StaticSite with the form, lists it, and shows it routed once its status says so', async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched, '/sites')
    assert.match(await mainText(page), /No static sites yet/)
    await page.click('text=New static site')
    await page.waitForURL(`${panelUrl}/sites/new`)
    await page.fill('#field-name', 'blog')
    await page.fill('#field-repo', 'https://git.example.com/alice/blog.git')
    await page.fill('#field-domains', `blog.${customer.metadata.name}.example`)
    await shoot(page, 'site-new')
    await page.click('button:has-text("Create site")')
    await page.waitForURL(`${panelUrl}/sites/blog?done=created`)
    assert.match((await page.getByRole('status').textContent()) ?? '', /Created/)
    const stored = await admin.request<StaticSite>('GET', sitePath('blog'))
    assert.equal(stored.spec.repo, 'https://git.example.com/alice/blog.git')
    assert.deepEqual(stored.spec.domains, [`blog.${customer.metadata.name}.example`])

    await page.goto(`${panelUrl}/sites`)
    assert.match(await mainText(page), /blog[\s\S]*not routed yet[\s\S]*waiting for a certificate/)
    await markServed('blog')
    await page.reload()
    assert.match(
      await mainText(page),
      /blog[\s\S]*routed[\s\S]*certificate ready[\s\S]*published [0-9a-f]{12}/,
    )
    assert.doesNotMatch(await mainText(page), /not routed/)
    await shoot(page, 'sites')

    // The quota's usage is the kube-controller-manager's to count.
    let overview = ''
    await waitFor(
      async () => {
        await page.goto(`${panelUrl}/`)
        overview = await mainText(page)
        return /static sites\s*1 of/.test(overview) ? true : undefined
      },
      { timeoutMs: 20_000, intervalMs: 500, describe: () => `the overview says: ${overview}` },
    )
    assert.match(
      await mainText(page),
      new RegExp(`blog\\.${customer.metadata.name}\\.example[\\s\\S]*site\\s+blog`),
    )
    await shoot(page, 'overview')

    assert.deepEqual(watched.foreign, [], 'nothing is loaded from another origin')
    assert.deepEqual(watched.violations, [], 'no page breaks its Content-Security-Policy')
    assert.ok(watched.policies.length >= 5)
    for (const policy of watched.policies) assert.match(policy, /: default-src 'none'; script-src 'self'/)

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(`${panelUrl}/auth/logout`)
    assert.match((await page.getByRole('status').textContent()) ?? '', /signed out of the panel/)
    const onward = await page.getByRole('link', { name: 'sign out there too' }).getAttribute('href')
    assert.equal(new URL(onward ?? '').origin, provider.issuer, "a link on to the provider's sign-out")
    const session = await watched.context.request.get(`${panelUrl}/auth/session`)
    assert.equal(session.status(), 401, 'the sign-out form ended the session')
    await watched.context.close()
  })

  it("shows the API server's refusal next to the field it is about, and keeps what was typed", async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched, '/sites/new')
    await page.fill('#field-name', 'docs')
    await page.fill('#field-repo', 'http://git.example.com/alice/docs.git')
    await page.fill('#field-syncInterval', '1s')
    await page.click('button:has-text("Create site")')
    assert.equal(new URL(page.url()).pathname, '/sites')
    assert.match((await page.textContent('#field-repo-error')) ?? '', /repo must be an https:\/\/ URL/)
    assert.match((await page.textContent('#field-syncInterval-error')) ?? '', /between 30s and 24h/)
    assert.equal(await page.getAttribute('#field-repo', 'aria-invalid'), 'true')
    assert.equal(await page.inputValue('#field-name'), 'docs')
    assert.equal(await page.inputValue('#field-repo'), 'http://git.example.com/alice/docs.git')
    assert.match((await page.locator('.notice.problem').first().textContent()) ?? '', /Not saved/)
    await shoot(page, 'site-refused')
    assert.deepEqual(watched.violations, [])
    await watched.context.close()
  })

  it('rolls a site back to a kept revision with the keyboard alone, and says so', async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched, '/sites')
    // From the top: the skip link, into the content, to the site's link.
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content')
    await page.keyboard.press('Enter')
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab')
      if ((await page.evaluate('document.activeElement?.textContent')) === 'blog') break
    }
    await page.keyboard.press('Enter')
    await page.waitForURL(`${panelUrl}/sites/blog`)
    assert.match(await mainText(page), /served now/)
    await shoot(page, 'site')
    const name = `Roll back to ${commits[0].slice(0, 12)}`
    const focused = 'document.activeElement?.textContent?.replace(/\\s+/g, " ").trim()'
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab')
      if ((await page.evaluate(focused)) === name) break
    }
    assert.equal(await page.evaluate(focused), name)
    await page.keyboard.press('Enter')
    await page.waitForURL(`${panelUrl}/sites/blog?done=site-rolled-back`)
    assert.match((await page.getByRole('status').textContent()) ?? '', /Rolled back/)
    assert.equal((await admin.request<StaticSite>('GET', sitePath('blog'))).spec.ref, commits[0])

    // Sync now, then a form by keyboard: the edit page's first field, changed, saved with Enter.
    await page.getByRole('button', { name: 'Sync now' }).focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(`${panelUrl}/sites/blog?done=sync-requested`)
    const synced = await admin.request<StaticSite>('GET', sitePath('blog'))
    assert.ok(synced.metadata.annotations?.['hostplane.dev/requested-sync'], 'the sync request is recorded')
    await page.getByRole('link', { name: 'Edit' }).focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(`${panelUrl}/sites/blog/edit`)
    await page.focus('#field-path')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('/public')
    await page.keyboard.press('Enter')
    await page.waitForURL(`${panelUrl}/sites/blog?done=saved`)
    const edited = await admin.request<StaticSite>('GET', sitePath('blog'))
    assert.equal(edited.spec.path, '/public')
    assert.equal(edited.spec.ref, commits[0], 'the edit keeps what the form did not change')
    assert.deepEqual(watched.violations, [])
    await watched.context.close()
  })

  /** From the page of `scratch`: its Delete… link asks first (deleting nothing), then its button deletes it. */
  async function deleteAfterAsking(page: Page, collection: string, noun: string, apiPath: string) {
    await page.click('text=Delete…')
    await page.waitForURL(`${panelUrl}/${collection}/scratch/delete`)
    assert.ok(await admin.request('GET', apiPath), 'asking deletes nothing')
    await page.click(`button:has-text("Delete ${noun}")`)
    await page.waitForURL(`${panelUrl}/${collection}?done=deleted`)
    assert.doesNotMatch(await mainText(page), /scratch/)
  }

  it('deletes a site only after asking', async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched, '/sites/new')
    await page.fill('#field-name', 'scratch')
    await page.fill('#field-repo', 'https://git.example.com/alice/scratch.git')
    await page.click('button:has-text("Create site")')
    await page.waitForURL(`${panelUrl}/sites/scratch?done=created`)
    await deleteAfterAsking(page, 'sites', 'site', sitePath('scratch'))
    await watched.context.close()
  })

  /** Waits until `selector`'s text (blanks made single spaces) matches: the page changes by itself. */
  const textBecomes = (page: Page, selector: string, pattern: RegExp) =>
    page.locator(selector, { hasText: pattern }).waitFor({ timeout: 15_000 })

  it('creates a webspace with the form and follows its build live, line by line, while the page is open', async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched, '/webspaces/new')
    await page.fill('#field-name', 'shop')
    await page.fill('#field-runtime', 'php-8.3')
    await page.selectOption('#field-tls', 'none')
    await page.click('button:has-text("Create webspace")')
    await page.waitForURL(`${panelUrl}/webspaces/shop?done=created`)
    assert.match(await mainText(page), /never built/)

    for (const [name, commit] of [
      ['shop-1', commits[0]],
      ['shop-2', commits[1]],
    ] as const)
      await admin.request('POST', resourcePath({ apiVersion: API_VERSION, plural: 'releases', namespace }), {
        body: testRelease(customer, 'shop', name, commit),
      })
    const startedAt = new Date().toISOString()
    const build = (lines: string[], end?: { phase: 'Succeeded'; release: string }) =>
      admin.request('PATCH', webspacePath('shop', 'status'), {
        contentType: 'application/merge-patch+json',
        body: {
          status: {
            release: 'shop-2',
            build: {
              phase: end?.phase ?? 'Building',
              branch: 'main',
              commit: commits[1],
              startedAt,
              lineCount: lines.length,
              lines,
              ...(end ? { release: end.release, finishedAt: new Date().toISOString() } : {}),
            },
          },
        },
      })
    await build(['building release of main (layer)'])
    await page.goto(`${panelUrl}/webspaces/shop`)
    assert.match((await page.textContent('#build-log')) ?? '', /building release of main/)
    await textBecomes(page, '#build-state', /^building$/)
    await build(['building release of main (layer)', 'layer 1/1 pushed', '<script>not markup</script>'])
    await textBecomes(page, '#build-log', /layer 1\/1 pushed\s+<script>not markup<\/script>/)
    await build(['building release of main (layer)', 'layer 1/1 pushed', '<script>not markup</script>'], {
      phase: 'Succeeded',
      release: 'shop-2',
    })
    await textBecomes(page, '#build-state', /succeeded: release shop-2/)
    assert.equal(await page.locator('#build-log script').count(), 0, 'a log line is text, never markup')
    await shoot(page, 'webspace')

    // Without a script the page still shows where the build stands.
    const plain = await browser.newContext({
      javaScriptEnabled: false,
      storageState: await watched.context.storageState(),
    })
    const still = await plain.newPage()
    await still.goto(`${panelUrl}/webspaces/shop`)
    assert.match((await still.textContent('#build-log')) ?? '', /layer 1\/1 pushed/)
    assert.match((await still.textContent('#build-state')) ?? '', /succeeded: release shop-2/)
    await plain.close()

    await page.getByRole('button', { name: 'Roll back to shop-1' }).click()
    await page.waitForURL(`${panelUrl}/webspaces/shop?done=webspace-rolled-back`)
    const webspaceNow = async () => admin.request<Webspace>('GET', webspacePath('shop'))
    assert.equal((await webspaceNow()).spec.release, 'shop-1')
    await page.getByRole('button', { name: 'Follow the branch again' }).click()
    await page.waitForURL(`${panelUrl}/webspaces/shop?done=following`)
    assert.equal((await webspaceNow()).spec.release, undefined)

    await page.goto(`${panelUrl}/webspaces`)
    assert.match(await mainText(page), /shop[\s\S]*shop-[12] of main/)
    await shoot(page, 'webspaces')
    assert.deepEqual(watched.violations, [])
    assert.deepEqual(watched.foreign, [])
    await watched.context.close()
  })

  it("edits a webspace, with the API server's refusal next to its field, and deletes one only after asking", async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched, '/webspaces/shop/edit')
    await page.fill('#field-replicas', '11')
    await page.click('button:has-text("Save")')
    assert.match((await page.textContent('#field-replicas-error')) ?? '', /less than or equal to 10/)
    assert.equal(await page.inputValue('#field-replicas'), '11', 'what was typed is kept')
    await page.fill('#field-replicas', '2')
    await page.click('button:has-text("Save")')
    await page.waitForURL(`${panelUrl}/webspaces/shop?done=saved`)
    const edited = await admin.request<Webspace>('GET', webspacePath('shop'))
    assert.equal(edited.spec.replicas, 2)
    assert.equal(edited.spec.runtime, 'php-8.3', 'the edit keeps what it did not change')

    // The other pages' tests still need shop: a webspace of its own to delete.
    await page.goto(`${panelUrl}/webspaces/new`)
    await page.fill('#field-name', 'scratch')
    await page.fill('#field-runtime', 'php-8.3')
    await page.selectOption('#field-tls', 'none')
    await page.click('button:has-text("Create webspace")')
    await page.waitForURL(`${panelUrl}/webspaces/scratch?done=created`)
    await deleteAfterAsking(page, 'webspaces', 'webspace', webspacePath('scratch'))
    assert.match(await mainText(page), /shop/)
    assert.deepEqual(watched.violations, [])
    await watched.context.close()
  })

  it('adds an SSH key, shows the refusal of a bad one next to its field, and removes a key after asking', async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched, '/ssh-keys')
    await page.fill('#field-name', 'laptop')
    await page.fill('#field-publicKey', 'ssh-dss AAAA not a key we take')
    await page.click('button:has-text("Add key")')
    assert.match(
      (await page.textContent('#field-publicKey-error')) ?? '',
      /publicKey must be one public key line/,
    )
    assert.equal(await page.inputValue('#field-name'), 'laptop')
    const publicKey = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${randomBytes(32).toString('base64').slice(0, 43)} alice`
    await page.fill('#field-publicKey', publicKey)
    await page.fill('#field-title', 'Alice’s laptop')
    await page.click('button:has-text("Add key")')
    await page.waitForURL(`${panelUrl}/ssh-keys?done=key-added`)
    assert.match(await mainText(page), /laptop[\s\S]*Alice’s laptop[\s\S]*waiting for the gitserver/)
    await shoot(page, 'ssh-keys')
    await page.getByRole('link', { name: /^Remove the key laptop/ }).click()
    await page.click('button:has-text("Remove key")')
    await page.waitForURL(`${panelUrl}/ssh-keys?done=key-deleted`)
    assert.match(await mainText(page), /No SSH keys yet/)
    await watched.context.close()
  })

  it('creates an API token that is shown once and works, and revokes it', async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched, '/tokens')
    await page.click('button:has-text("Create token")')
    assert.match((await page.textContent('#field-description-error')) ?? '', /length/)
    await page.fill('#field-description', 'deploys from CI')
    await page.click('button:has-text("Create token")')
    const token = await page.inputValue('#token')
    assert.match(token, /^hpt_/)
    const me = (bearer: string) =>
      fetch(`${panelUrl}/api/v1/me`, { headers: { authorization: `Bearer ${bearer}` } }).then((r) => r.status)
    assert.equal(await me(token), 200)
    await shoot(page, 'tokens')
    await page.goto(`${panelUrl}/tokens`)
    assert.doesNotMatch(await page.content(), new RegExp(token), 'the token is shown once')
    assert.match(await mainText(page), /deploys from CI/)
    await page.getByRole('link', { name: /^Revoke the token for deploys from CI/ }).click()
    await page.click('button:has-text("Revoke token")')
    await page.waitForURL(`${panelUrl}/tokens?done=token-revoked`)
    assert.equal(await me(token), 401)
    await watched.context.close()
  })

  it('has no serious or critical accessibility violations on any page (axe-core)', async () => {
    const context = await browser.newContext({ bypassCSP: true })
    const page = await context.newPage()
    await signIn({ context, page, foreign: [], policies: [], violations: [] }, '/')
    const found: string[] = []
    for (const path of PAGES) {
      await page.goto(`${panelUrl}${path}`)
      found.push(...(await seriousAxeViolations(page)).map((v) => `${path}: ${v}`))
    }
    assert.deepEqual(found, [])
    await context.close()
  })

  it('reads on a phone (375 px) without sideways scrolling on every page', async () => {
    const watched = await open({ width: 375, height: 740 })
    const { page } = watched
    await signIn(watched, '/')
    for (const path of [
      '/',
      '/sites',
      '/sites/blog',
      '/sites/new',
      '/sites/blog/edit',
      '/sites/blog/delete',
    ]) {
      await page.goto(`${panelUrl}${path}`)
      const [scroll, inner] = await page.evaluate<number[]>(
        '[document.documentElement.scrollWidth, window.innerWidth]',
      )
      assert.ok((scroll ?? 0) <= (inner ?? 0), `${path} is ${scroll}px wide on a ${inner}px screen`)
    }
    await page.goto(`${panelUrl}/webspaces/shop`)
    await shoot(page, 'webspace-phone')
    assert.deepEqual(watched.violations, [])
    assert.deepEqual(watched.foreign, [])
    await watched.context.close()
  })
})
