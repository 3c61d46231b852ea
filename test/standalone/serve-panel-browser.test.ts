/**
 * The panel of `hostplane serve` in a real browser (Debian's Chromium through playwright-core), on
 * the real process: signing in by typing the token, reaching every control by the keyboard alone,
 * rolling back by its button, on a phone-sized screen too; every request stays on the panel's
 * origin and every page carries the strict Content-Security-Policy. With HOSTPLANE_SCREENSHOTS=1
 * it writes the screenshots docs/standalone.md shows.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { REPO_ROOT } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import { TestRepos } from '../git/test-repos.js'
import { chromiumUnavailable, launchChromium } from '../panel/chromium-for-tests.js'
import { type ServeProcess, startServe } from './serve-process.js'

const skip = await chromiumUnavailable()
const SCREENSHOTS = process.env.HOSTPLANE_SCREENSHOTS === '1'

describe('the panel of hostplane serve in Chromium', { skip }, () => {
  let dir: string
  let repos: TestRepos
  let serve: ServeProcess
  let browser: Browser
  let origin: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostplane-serve-panel-'))
    repos = new TestRepos(join(dir, 'repos'))
    await repos.create('docs', { 'index.html': '<p>first</p>\n' })
    await mkdir(join(dir, 'sites'))
    await writeFile(
      join(dir, 'sites', 'docs.yaml'),
      'apiVersion: hostplane.dev/v1alpha1\nkind: StaticSite\nmetadata:\n  name: docs\nspec:\n  repo: https://repos.localhost/docs\n  domains: [docs.localhost]\n',
    )
    serve = await startServe(join(dir, 'sites'), join(dir, 'data'), ['--local-repos', repos.root])
    origin = `http://127.0.0.1:${serve.controlPort}`
    // A second published commit, so there is a revision to roll back to.
    await waitFor(async () => ((await siteState())?.revisions.length === 1 ? true : undefined), {
      timeoutMs: 30_000,
      describe: () => `not published:\n${serve.output.all}`,
    })
    await repos.commit('docs', { 'index.html': '<p>second</p>\n' })
    await fetch(`${origin}/sync/default/docs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token()}` },
    })
    await waitFor(async () => ((await siteState())?.revisions.length === 2 ? true : undefined), {
      timeoutMs: 30_000,
      describe: () => `no second revision:\n${serve.output.all}`,
    })
    browser = await launchChromium()
  })

  after(async () => {
    await browser?.close()
    await serve?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const token = async () => (await readFile(join(dir, 'data', 'sync-token'), 'utf8')).trim()
  async function siteState() {
    const answer = (await (await fetch(`${origin}/status/sites`)).json()) as {
      sites: { site: string; sync: { revisions: { commit: string }[]; commit?: string } }[]
    }
    return answer.sites.find((s) => s.site === 'default/docs')?.sync
  }

  /** A page that records every request leaving the panel's origin and every page's CSP. */
  async function openPanel(viewport: { width: number; height: number }) {
    const context = await browser.newContext({ viewport })
    const page = await context.newPage()
    const foreign: string[] = []
    const policies: string[] = []
    page.on('request', (request) => {
      if (!request.url().startsWith(origin)) foreign.push(request.url())
    })
    page.on('response', (response) => {
      if (response.request().resourceType() === 'document' && response.status() < 300)
        policies.push(response.headers()['content-security-policy'] ?? 'none')
    })
    return { context, page, foreign, policies }
  }

  const shoot = async (page: Page, name: string) => {
    if (SCREENSHOTS)
      await page.screenshot({ path: join(REPO_ROOT, 'docs', 'images', `${name}.png`), fullPage: true })
  }

  it('signs in, lists the site in words and rolls it back, with the keyboard alone', async () => {
    const { context, page, foreign, policies } = await openPanel({ width: 1200, height: 800 })
    await page.goto(`${origin}/panel/`)
    assert.equal(new URL(page.url()).pathname, '/panel/sign-in')
    await shoot(page, 'serve-panel-sign-in')
    // Tab from the top: the skip link first, then the token field.
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content')
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate('document.activeElement?.id'), 'token')
    await page.keyboard.type(await token())
    await page.keyboard.press('Enter')
    await page.waitForURL(`${origin}/panel/`)
    assert.match(
      (await page.textContent('main')) ?? '',
      /default\/docs[\s\S]*routed[\s\S]*synced at [0-9a-f]{12}/,
    )
    await shoot(page, 'serve-panel-sites')

    // To the site's link by Tab, then into it with Enter.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab')
      if ((await page.evaluate('document.activeElement?.textContent')) === 'default/docs') break
    }
    await page.keyboard.press('Enter')
    await page.waitForURL(`${origin}/panel/sites/default/docs`)
    const rollBack = page.getByRole('button', { name: /^Roll back to [0-9a-f]{12}$/ })
    const target =
      /[0-9a-f]{12}$/.exec((await rollBack.textContent()) ?? '')?.[0] ??
      assert.fail('no commit on the button')
    await rollBack.focus()
    await shoot(page, 'serve-panel-site')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\?done=rolled-back$/)
    assert.match((await page.getByRole('status').textContent()) ?? '', /Rolled back/)
    // The site served the newer of its two revisions until now: wait for the one the button named.
    const served = await waitFor(
      async () => {
        const state = await siteState()
        return state?.commit?.startsWith(target) && state.revisions.length === 2 ? state.commit : undefined
      },
      { timeoutMs: 30_000, describe: () => `the rollback to ${target} was not published` },
    )
    assert.match(await readFile(join(dir, 'sites', 'docs.yaml'), 'utf8'), new RegExp(`ref: ${served}`))

    assert.deepEqual(foreign, [], 'nothing is loaded from another origin')
    assert.ok(policies.length >= 3)
    for (const policy of policies) assert.match(policy, /^default-src 'none'; script-src 'self'/)
    await context.close()
  })

  it('reads on a phone: no sideways scrolling, the tables become labelled lists', async () => {
    const { context, page } = await openPanel({ width: 375, height: 740 })
    await page.goto(`${origin}/panel/sign-in`)
    await page.fill('#token', await token())
    await page.click('button[type=submit]')
    await page.waitForURL(`${origin}/panel/`)
    const widths = await page.evaluate<number[]>('[document.documentElement.scrollWidth, window.innerWidth]')
    assert.ok(
      (widths[0] ?? 0) <= (widths[1] ?? 0),
      `the page is ${widths[0]}px wide on a ${widths[1]}px screen`,
    )
    await page.goto(`${origin}/panel/sites/default/docs`)
    const phoneWidths = await page.evaluate<number[]>(
      '[document.documentElement.scrollWidth, window.innerWidth]',
    )
    assert.ok((phoneWidths[0] ?? 0) <= (phoneWidths[1] ?? 0))
    await shoot(page, 'serve-panel-site-phone')
    await context.close()
  })
})
