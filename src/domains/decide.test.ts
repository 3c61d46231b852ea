import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type ClaimantEntry, decideAll, type DomainDecision } from './decide.js'
import { DOMAIN_REASON as REASON } from './reasons.js'
import { domainPolicy } from './site-domains.js'

const entry = (id: string, claimedAt: number, domains: string[] = [], pathPrefix?: string): ClaimantEntry => {
  const [namespace, name = ''] = id.split('/')
  return {
    kind: 'StaticSite',
    object: { metadata: { name, namespace }, spec: { domains } },
    claimedAt,
    pathPrefix,
  }
}
const outcome = (decision: DomainDecision | undefined) =>
  decision?.held ? 'held' : `${decision?.refused ? 'refused' : 'lost'} ${decision?.reason}`

const cases: { name: string; entries: ClaimantEntry[]; expect: string[] }[] = [
  {
    name: 'the earlier namespace keeps a domain whatever the order of the entries',
    entries: [entry('team-b/b', 1, ['x.test']), entry('team-a/a', 0, ['x.test'])],
    expect: [`lost ${REASON.DomainOwnedByOtherNamespace}`, 'held'],
  },
  {
    name: 'another namespace cannot take a path below an owned domain',
    entries: [entry('team-a/a', 0, ['x.test']), entry('team-b/b', 1, ['x.test'], '/b/')],
    expect: ['held', `lost ${REASON.DomainOwnedByOtherNamespace}`],
  },
  {
    name: 'one namespace splits a domain by distinct prefixes; the same prefix with a trailing slash is the same prefix',
    entries: [
      entry('team-a/a', 0, ['x.test']),
      entry('team-a/docs', 1, ['x.test'], '/docs'),
      entry('team-a/copy', 2, ['x.test'], '/docs/'),
    ],
    expect: ['held', 'held', `lost ${REASON.PathPrefixTaken}`],
  },
  {
    name: 'a refused domain is no claim: it neither holds nor takes anything',
    entries: [entry('team-b/x', 0, ['docs-team-c.pages.test']), entry('team-c/docs', 1)],
    expect: [`refused ${REASON.DomainRefused}`, 'held'],
  },
]

describe('decideAll', () => {
  for (const c of cases)
    it(c.name, () =>
      assert.deepEqual(decideAll(c.entries, domainPolicy('pages.test')).map(outcome), c.expect),
    )
})
