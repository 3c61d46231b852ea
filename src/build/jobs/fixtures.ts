/** Build Job specs for tests: one customer's webspace at one commit, on the smallest shared size. */
import { buildLimits } from '../../operator/customer/tiers.js'
import type { JobStrategy } from './names.js'
import type { BuildJobSpec } from './render.js'

export const COMMIT = 'c0ffee'.padEnd(40, '0')

export const buildJobSpec = (strategy: JobStrategy, overrides: Partial<BuildJobSpec> = {}): BuildJobSpec => ({
  customer: 'acme',
  webspace: 'shop',
  commit: COMMIT,
  strategy,
  limits: buildLimits('shared', 'small'),
  sourceUrl: 'http://hostplane-gitserver.hostplane-system:8080/source/one-time-token',
  target: {
    registry: 'registry.hostplane-system:5000',
    repository: 'hostplane/acme',
    tag: `shop-${COMMIT.slice(0, 12)}`,
  },
  ...overrides,
})
