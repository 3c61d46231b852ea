/**
 * The provider admin's pages in a real browser (Debian's Chromium through playwright-core) on the
 * real process, the real API server and the real OpenID Provider: an admin signs in, finds the
 * customer on the Customers page, acts as it — every page then carries a banner naming the
 * customer, with the button that stops it — and finds that act-as in the audit log page, searched
 * with its filters, next to export links of the same search.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { PanelProcess } from '../../src/panel/panel-service.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import { freePort } from '../serving/nginx-for-tests.js'
import { chromiumUnavailable, launchChromium } from './chromium-for-tests.js'
import { startTestProvider, TEST_CLIENT, type TestProvider } from './oidc-fixture.js'
import { type PanelCluster, panelCluster, startSignedInPanel } from './panel-cluster.js'

const env = await clusterForTests()
const noChromium = await chromiumUnavailable()

describe('the admin pages of hostplane panel in Chromium', { skip: env.skip || noChromium }, () => {
  let setup: PanelCluster
  let provider: TestProvider
  let panel: PanelProcess
  let panelUrl: string
  let browser: Browser
  const id = randomBytes(3).toString('hex')
  const customer = sharedCustomer(`adm-${id}`)
  const name = customer.metadata.name

  before(async () => {
    const cluster = await env.get()
    setup = await panelCluster(cluster, id, [customer])
    provider = await startTestProvider({
      root: { email: 'root@provider.test', groups: ['hostplane-admins'] },
    })
    const port = await freePort()
    panelUrl = `http://127.0.0.1:${port}`
    panel = await startSignedInPanel(setup, provider, { port })
    provider.start({ ...TEST_CLIENT, panelUrl })
    browser = await launchChromium()
  })

  after(async () => {
    await browser?.close()
    await panel?.stop()
    await provider?.close()
    await setup?.remove()
    await env.release()
  })

  const banner = (page: Page) => page.locator('header .banner')

  it('an admin acts as a customer, sees the banner naming it on the customer’s pages, stops, and finds the act-as in the audit log', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
    const page = await context.newPage()
    const violations: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
    })

    await page.goto(`${panelUrl}/admin/customers`)
    await page.fill('input[name=login]', 'root')
    await page.fill('input[name=password]', 'any password')
    await page.click('button[type=submit]')
    await page.click('button[type=submit]') // the consent page's Continue
    await page.waitForURL(`${panelUrl}/admin/customers`)
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
})
