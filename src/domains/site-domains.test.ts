import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Customer } from '../api/resources.js'
import { DOMAIN_REASON as REASON } from './reasons.js'
import { type Claimant, domainPolicy, siteDomains } from './site-domains.js'

const site = (name: string, namespace: string, domains?: string[]): Claimant => ({
  metadata: { name, namespace },
  spec: domains ? { domains } : {},
})
const customer = { metadata: { name: 'acme' }, spec: { domains: ['acme.test'] } } as Customer

const cases: {
  name: string
  site: Claimant
  customer?: Customer
  domains?: string[]
  refused?: string
  mentions?: RegExp
}[] = [
  {
    name: 'a site without spec.domains gets <name>-<namespace>.<pages domain>',
    site: site('blog', 'team-a'),
    domains: ['blog-team-a.pages.test'],
  },
  {
    name: 'a site may name its own default domain among its domains',
    site: site('blog', 'team-a', ['blog-team-a.pages.test', 'blog.test']),
    domains: ['blog-team-a.pages.test', 'blog.test'],
  },
  {
    name: 'another site’s default domain is refused, naming the own one',
    site: site('x', 'team-b', ['docs-team-c.pages.test']),
    refused: REASON.DomainRefused,
    mentions: /^domain docs-team-c\.pages\.test is reserved: .* its own \(x-team-b\.pages\.test\)/,
  },
  {
    name: 'the pages domain itself is refused',
    site: site('x', 'team-b', ['pages.test']),
    refused: REASON.DomainRefused,
  },
  {
    name: 'a name with "--" in the third and fourth characters makes a default domain public CAs refuse, and the message says what to do',
    site: site('ab--cd', 'team-a'),
    refused: REASON.InvalidDefaultDomain,
    mentions:
      /^the default domain cannot be served: its first label ab--cd-team-a has "--" in the third and fourth characters, which public certificate authorities refuse .*; set spec.domains, or use another name$/,
  },
  {
    name: 'an xn-- name is refused too: the default domain is not a valid internationalised name',
    site: site('xn--blog', 'team-a'),
    refused: REASON.InvalidDefaultDomain,
  },
  {
    name: 'the same name with spec.domains is served there',
    site: site('ab--cd', 'team-a', ['ab.test']),
    domains: ['ab.test'],
  },
  {
    name: '"--" elsewhere in the label is fine',
    site: site('blog--old', 'team-a'),
    domains: ['blog--old-team-a.pages.test'],
  },
  {
    name: 'a default label longer than 63 characters is refused with its length',
    site: site('a'.repeat(40), 'n'.repeat(30)),
    refused: REASON.InvalidDefaultDomain,
    mentions: /\(71 characters\) is longer than the 63 a domain label may have/,
  },
  {
    name: 'a dot in the name is refused: the default domain would be a name below another site’s',
    site: site('www.example', 'team-a'),
    refused: REASON.InvalidDefaultDomain,
    mentions: /has a dot/,
  },
  {
    name: 'in a customer namespace a domain outside the Customer’s domains is not allowed',
    site: site('blog', 'sh-acme', ['other.test']),
    customer,
    refused: REASON.DomainNotAllowed,
  },
  {
    name: 'in a customer namespace a name below a Customer domain is allowed',
    site: site('blog', 'sh-acme', ['www.acme.test']),
    customer,
    domains: ['www.acme.test'],
  },
  {
    name: 'without a Customer (any namespace of hostplane serve) the customer rule is absent',
    site: site('blog', 'team-a', ['other.test']),
    domains: ['other.test'],
  },
]

describe('siteDomains', () => {
  for (const c of cases)
    it(c.name, () => {
      const result = siteDomains(c.site, domainPolicy('pages.test', c.customer))
      if (result.ok) {
        assert.equal(c.refused, undefined, `expected ${c.refused}`)
        assert.deepEqual(result.domains, c.domains)
      } else {
        assert.equal(result.reason, c.refused, result.message)
        if (c.mentions) assert.match(result.message, c.mentions)
      }
    })
})
