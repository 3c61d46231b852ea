/**
 * The provider admin's pages in a real browser (Debian's Chromium through playwright-core) on the
 * real process, the real API server and the real OpenID Provider: an admin signs in, creates a
 * Customer with the form (a refused size shown at its field), changes its tier and size, suspends
 * it and brings it back; finds a customer on the Customers page and acts as it — every page then
 * carries a banner naming the customer, with the button that stops it — and finds that act-as in
 * the audit log page, searched with its filters, next to export links of the same search. No admin
 * page, the banner included, has a serious or critical accessibility violation (axe-core). With
 * HOSTPLANE_SCREENSHOTS=1 it writes the admin screenshots docs/panel.md shows.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer } from '../../src/api/resources.js'
import { resourcePath } from '../../src/kube/rest.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import { type BrowserPanel, startBrowserPanel } from './browser-panel.js'
import { chromiumUnavailable, seriousAxeViolations } from './chromium-for-tests.js'
import { type PanelCluster, panelCluster } from './panel-cluster.js'

const env = await clusterForTests()
const noChromium = await chromiumUnavailable()
const SCREENSHOTS = process.env.HOSTPLANE_SCREENSHOTS === '1'

describe('the admin pages of hostplane panel in Chromium', { skip: env.skip || noChromium }, () => {
  let setup: PanelCluster
  let ui: BrowserPanel
  let panelUrl: string
  let browser: Browser
  const id = randomBytes(3).toString('hex')
  const customer = sharedCustomer(`adm-${id}`)
  const name = customer.metadata.name
  const created = `admnew-${id}`

  before(async () => {
    const cluster = await env.get()
    setup = await panelCluster(cluster, id, [customer])
    ui = await startBrowserPanel(setup, {
      root: { email: 'root@provider.test', groups: ['hostplane-admins'] },
    })
    ;({ panelUrl, browser } = ui)
  })

  after(async () => {
    await ui?.stop()
    await setup?.admin
      .request('DELETE', resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: created }))
      .catch(() => {})
    await setup?.remove()
    await env.release()
  })

  const banner = (page: Page) => page.locator('header .banner')

  /** Signs the admin in through the provider's login and consent pages, starting at the Customers page. */
  const signIn = (page: Page) => ui.signIn(page, '/admin/customers', 'root')

  it('an admin acts as a customer, sees the banner naming it on the customer’s pages, stops, and finds the act-as in the audit log', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
    const page = await context.newPage()
    const violations: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
    })

    await signIn(page)
    assert.equal(await banner(page).count(), 0, 'no banner while acting as no customer')

    await page.getByRole('button', { name: `Act as ${name}` }).click()
    await page.waitForURL(`${panelUrl}/?done=acting`)
    assert.match((await banner(page).textContent()) ?? '', new RegExp(`Acting as customer ${name}`))
    assert.match((await page.textContent('main')) ?? '', new RegExp(name), 'the customer’s overview')
    await page.goto(`${panelUrl}/sites`)
    assert.match(
      (await banner(page).textContent()) ?? '',
      new RegExp(`Acting as customer ${name}`),
      'on every page',
    )

    await page.getByRole('button', { name: `Stop acting as ${name}` }).click()
    await page.waitForURL(`${panelUrl}/admin/customers?done=stopped-acting`)
    assert.equal(await banner(page).count(), 0)

    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.waitForURL(`${panelUrl}/admin/audit`)
    await page.fill('#field-customer', name)
    await page.selectOption('#field-action', 'act-as.start')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.waitForURL(/\/admin\/audit\?/)
    const rows = page.locator('main table tbody tr')
    assert.equal(await rows.count(), 1)
    assert.match(
      (await rows.first().textContent()) ?? '',
      new RegExp(
        `root@provider\\.test\\s*\\(admin\\)[\\s\\S]*act-as\\.start[\\s\\S]*Customer ${name}[\\s\\S]*ok`,
      ),
    )
    const csv = await page.getByRole('link', { name: 'CSV' }).getAttribute('href')
    const exported = await context.request.get(`${panelUrl}${csv}`)
    assert.equal(exported.status(), 200)
    assert.match(
      await exported.text(),
      new RegExp(`,oidc:root,root@provider\\.test,true,,act-as\\.start,Customer,,${name},ok,`),
    )
    assert.deepEqual(violations, [], 'no page breaks its Content-Security-Policy')
    await context.close()
  })

  it('an admin creates a Customer with the form, sees a refused size next to its field, changes its tier and size, suspends it and brings it back', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
    const page = await context.newPage()
    const stored = async () =>
      (
        await setup.admin.request<Customer>(
          'GET',
          resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: created }),
        )
      ).spec
    await signIn(page)
    await page.getByRole('link', { name: 'New customer' }).click()
    await page.waitForURL(`${panelUrl}/admin/customers/new`)
    await page.fill('#field-name', created)
    await page.fill('#field-displayName', 'New customer')
    await page.fill('#field-email', 'owner@new.test')
    await page.selectOption('#field-size', 'xlarge')
    await page.click('button:has-text("Create customer")')
    assert.match((await page.textContent('#field-size-error')) ?? '', /xlarge needs tier dedicated/)
    assert.equal(await page.inputValue('#field-name'), created, 'what was typed is kept')
    await page.selectOption('#field-size', 'small')
    await page.click('button:has-text("Create customer")')
    await page.waitForURL(`${panelUrl}/admin/customers/${created}?done=customer-created`)
    assert.deepEqual([(await stored()).tier, (await stored()).size], ['shared', 'small'])

    await page.selectOption('#field-tier', 'dedicated')
    await page.selectOption('#field-size', 'large')
    await page.click('button:has-text("Change tier and size")')
    await page.waitForURL(`${panelUrl}/admin/customers/${created}?done=customer-saved`)
    assert.deepEqual([(await stored()).tier, (await stored()).size], ['dedicated', 'large'])

    await page.getByRole('button', { name: 'Suspend', exact: true }).click()
    await page.waitForURL(`${panelUrl}/admin/customers/${created}?done=suspended`)
    assert.equal((await stored()).suspended, true)
    await page.getByRole('button', { name: 'Bring back online' }).click()
    await page.waitForURL(`${panelUrl}/admin/customers/${created}?done=unsuspended`)
    assert.equal((await stored()).suspended, false)
    await context.close()
  })

  it('has no serious or critical accessibility violations on any admin page, the act-as banner included (axe-core)', async () => {
    // bypassCSP lets the test inject axe; the test above checks the CSP.
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, bypassCSP: true })
    const page = await context.newPage()
    const found: string[] = []
    const check = async (shot?: string) => {
      if (shot && SCREENSHOTS)
        await page.screenshot({
          path: join(REPO_ROOT, 'docs', 'images', `panel-${shot}.png`),
          fullPage: true,
        })
      found.push(...(await seriousAxeViolations(page)).map((v) => `${new URL(page.url()).pathname}: ${v}`))
    }
    await signIn(page)
    await check('admin-customers')
    for (const path of ['/admin/customers/new', `/admin/customers/${name}`]) {
      await page.goto(`${panelUrl}${path}`)
      await check()
    }
    await page.goto(`${panelUrl}/admin/customers`)
    await page.getByRole('button', { name: `Act as ${name}` }).click()
    await page.waitForURL(`${panelUrl}/?done=acting`)
    await check('acting-as')
    await page.goto(`${panelUrl}/sites`)
    await check()
    await page.getByRole('button', { name: `Stop acting as ${name}` }).click()
    await page.waitForURL(`${panelUrl}/admin/customers?done=stopped-acting`)
    await page.goto(`${panelUrl}/admin/audit?customer=${name}`)
    await check('admin-audit')
    assert.deepEqual(found, [])
    await context.close()
  })
})
