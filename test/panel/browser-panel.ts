/**
 * What the panel's browser tests share: the panel signed in at a real OpenID Provider with the
 * test's accounts, a headless Chromium, and a sign-in through the provider's own login and
 * consent pages, as a customer or an admin does it.
 */
import assert from 'node:assert/strict'
import type { Browser, Page } from 'playwright-core'
import type { PanelProcess } from '../../src/panel/panel-service.js'
import { freePort } from '../serving/nginx-for-tests.js'
import { launchChromium } from './chromium-for-tests.js'
import { startTestProvider, TEST_CLIENT, type TestAccount, type TestProvider } from './oidc-fixture.js'
import { type PanelCluster, startSignedInPanel } from './panel-cluster.js'

export interface BrowserSignIn {
  /** Where the page starts, e.g. `${panelUrl}/sites`: an anonymous request there goes to sign-in. */
  readonly start: string
  /** The provider's issuer, whose pages the sign-in must pass through. */
  readonly issuer: string
  /** One of the provider's test accounts; any password is taken. */
  readonly login: string
  /** Where the page lands once signed in; @default start */
  readonly landing?: string
}

/** Opens `start`, signs in as `login` on the provider's login and consent pages, and waits for `landing`. */
export async function signInThroughProvider(
  page: Page,
  { start, issuer, login, landing = start }: BrowserSignIn,
): Promise<void> {
  await page.goto(start)
  assert.equal(new URL(page.url()).origin, issuer, 'an anonymous page request goes to sign-in')
  await page.fill('input[name=login]', login)
  await page.fill('input[name=password]', 'any password')
  await page.click('button[type=submit]')
  await page.click('button[type=submit]') // the consent page's Continue
  await page.waitForURL(landing)
}

export interface BrowserPanel {
  readonly provider: TestProvider
  readonly panel: PanelProcess
  /** `http://127.0.0.1:<port>`, the panel's origin. */
  readonly panelUrl: string
  readonly browser: Browser
  /** Signs `page` in as `login` starting at `path` of the panel, and lands there. */
  signIn(page: Page, path: string, login: string): Promise<void>
  /** Closes the browser, the panel and the provider. */
  stop(): Promise<void>
}

/** The run's panel (panel-cluster.ts) signed in at a new provider with `accounts`, and Chromium. */
export async function startBrowserPanel(
  setup: PanelCluster,
  accounts: Readonly<Record<string, TestAccount>>,
): Promise<BrowserPanel> {
  const provider = await startTestProvider(accounts)
  let panel: PanelProcess | undefined
  try {
    const port = await freePort()
    const panelUrl = `http://127.0.0.1:${port}`
    panel = await startSignedInPanel(setup, provider, { port })
    provider.start({ ...TEST_CLIENT, panelUrl })
    const browser = await launchChromium()
    const started = panel
    return {
      provider,
      panel,
      panelUrl,
      browser,
      signIn: (page, path, login) =>
        signInThroughProvider(page, { start: `${panelUrl}${path}`, issuer: provider.issuer, login }),
      async stop() {
        await browser.close()
        await started.stop()
        await provider.close()
      },
    }
  } catch (error) {
    await panel?.stop()
    await provider.close()
    throw error
  }
}
