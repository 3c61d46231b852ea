/**
 * Debian's Chromium driven by playwright-core (no browser download: the machine's own
 * /usr/bin/chromium, whose major version playwright-core ~1.64 speaks to). Missing, it fails the
 * suite under CI and skips it elsewhere with the reason.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { type Browser, chromium, type Page } from 'playwright-core'
import { binaryUnavailable } from '../cluster/paths.js'

export const CHROMIUM = process.env.HOSTPLANE_CHROMIUM ?? '/usr/bin/chromium'

/** Reason the browser suite cannot run here, or false when it can. */
export const chromiumUnavailable = () => binaryUnavailable('browser', CHROMIUM, 'chromium')

/** A headless Chromium; root needs --no-sandbox. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 60_000 })

const require = createRequire(import.meta.url)

/**
 * axe-core's serious and critical violations on the page as it is now, each as
 * "rule (impact): targets". axe is injected as a script of the test's own, which the pages' CSP
 * would refuse: the page's context needs `bypassCSP: true`.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: await readFile(require.resolve('axe-core/axe.min.js'), 'utf8') })
  return page.evaluate<string[]>(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`,
  )
}
