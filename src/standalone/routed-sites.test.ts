import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { siteKey } from '../api/site-key.js'
import { named, site, withDomains } from '../operator/staticsite/fixtures.js'
import type { ArrangedSite } from './claim-order.js'
import { routeSites } from './routed-sites.js'

const entry = (
  file: string,
  namespace: string,
  name: string,
  claimedAt: number,
  domains: string[] = [],
): ArrangedSite => ({
  file,
  document: 1,
  claimedAt,
  site: site(named(name, namespace), ...(domains.length > 0 ? [withDomains(...domains)] : [])),
})

describe('routeSites', () => {
  it('routes a site without domains on its default domain under the pages domain', () => {
    const { routed, problems } = routeSites([entry('a.yaml', 'team-a', 'blog', 0)], 'pages.localhost')
    assert.deepEqual(
      routed.map(({ served }) => [served.key, served.domains]),
      [[siteKey('team-a', 'blog'), ['blog-team-a.pages.localhost']]],
    )
    assert.deepEqual(problems, [])
  })

  it('does not route a site that lost its domain, and gives one line with file, site, reason and message', () => {
    const { routed, status, problems } = routeSites(
      [entry('a.yaml', 'team-a', 'a', 0, ['x.test']), entry('b.yaml', 'team-b', 'b', 1, ['x.test'])],
      'pages.localhost',
    )
    assert.deepEqual(
      routed.map(({ served }) => served.key),
      [siteKey('team-a', 'a')],
    )
    assert.deepEqual(status[1], {
      site: 'team-b/b',
      file: 'b.yaml',
      routed: false,
      domains: [],
      reason: 'DomainOwnedByOtherNamespace',
      message:
        'domain x.test belongs to namespace team-a, where StaticSite a claimed it first; use another domain, or ask the owner to remove it',
    })
    assert.deepEqual(problems, [
      `b.yaml: StaticSite team-b/b: DomainOwnedByOtherNamespace: ${status[1]?.message}; not routed`,
    ])
  })
})
