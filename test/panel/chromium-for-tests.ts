/**
 * Debian's Chromium driven by playwright-core (no browser download: the machine's own
 * /usr/bin/chromium, whose major version playwright-core ~1.64 speaks to). Missing, it fails the
 * suite under CI and skips it elsewhere with the reason.
 */
import { type Browser, chromium } from 'playwright-core'
import { binaryUnavailable } from '../cluster/paths.js'

export const CHROMIUM = process.env.HOSTPLANE_CHROMIUM ?? '/usr/bin/chromium'

/** Reason the browser suite cannot run here, or false when it can. */
export const chromiumUnavailable = () => binaryUnavailable('browser', CHROMIUM, 'chromium')

/** A headless Chromium; root needs --no-sandbox. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 60_000 })
