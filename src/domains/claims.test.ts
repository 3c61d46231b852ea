import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Claim, type ClaimKind, decideClaim } from './claims.js'
import { DOMAIN_REASON as REASON } from './reasons.js'

const claim = (
  namespace: string,
  name: string,
  at: string,
  domains: string[],
  pathPrefix = '/',
  kind: ClaimKind = 'StaticSite',
): Claim => ({
  kind,
  namespace,
  name,
  claimedAt: Number(at),
  domains,
  pathPrefix,
})

const cases: { name: string; claim: Claim; rivals: Claim[]; denied?: string; mentions?: RegExp }[] = [
  {
    name: 'a site alone on its domain may route it',
    claim: claim('a', 'one', '1', ['x.test']),
    rivals: [],
  },
  {
    name: 'the oldest claim wins: a newer site of another namespace is denied, naming the owner namespace',
    claim: claim('b', 'two', '2', ['x.test']),
    rivals: [claim('a', 'one', '1', ['x.test'])],
    denied: REASON.DomainOwnedByOtherNamespace,
    mentions: /namespace a, where StaticSite one claimed it first/,
  },
  {
    name: 'the older site keeps its domain when a newer namespace claims it too',
    claim: claim('a', 'one', '1', ['x.test']),
    rivals: [claim('b', 'two', '2', ['x.test'])],
  },
  {
    name: 'a path prefix does not help another namespace onto an owned domain',
    claim: claim('b', 'docs', '2', ['x.test'], '/docs'),
    rivals: [claim('a', 'one', '1', ['x.test'])],
    denied: REASON.DomainOwnedByOtherNamespace,
  },
  {
    name: 'one owned domain among several is enough to deny the whole site',
    claim: claim('b', 'two', '2', ['mine.test', 'x.test']),
    rivals: [claim('a', 'one', '1', ['x.test'])],
    denied: REASON.DomainOwnedByOtherNamespace,
  },
  {
    name: 'sites of the owner namespace share a domain under distinct prefixes',
    claim: claim('a', 'docs', '2', ['x.test'], '/docs'),
    rivals: [claim('a', 'one', '1', ['x.test'])],
  },
  {
    name: 'for the same prefix in one namespace the older site wins and the newer is told which',
    claim: claim('a', 'copy', '2', ['x.test']),
    rivals: [claim('a', 'one', '1', ['x.test'])],
    denied: REASON.PathPrefixTaken,
    mentions: /StaticSite one of this namespace, which claimed it earlier/,
  },
  {
    name: 'equal claim times fall back to namespace/name order, so every replica decides alike, and the message says it was a tie, not "first"',
    claim: claim('b', 'one', '1', ['x.test']),
    rivals: [claim('a', 'one', '1', ['x.test'])],
    denied: REASON.DomainOwnedByOtherNamespace,
    mentions:
      /^domain x\.test belongs to namespace a, where StaticSite one claimed it at the same time as this StaticSite \(ties go to namespace\/name order\); use another domain/,
  },
  {
    name: 'the winner of a tie keeps its domain',
    claim: claim('a', 'one', '1', ['x.test']),
    rivals: [claim('b', 'one', '1', ['x.test'])],
  },
  {
    name: 'a tie for one prefix in one namespace goes to the name first in order, and the message does not call it older',
    claim: claim('a', 'two', '1', ['x.test']),
    rivals: [claim('a', 'one', '1', ['x.test'])],
    denied: REASON.PathPrefixTaken,
    mentions:
      /^x\.test is served by StaticSite one of this namespace, which claimed it at the same time as this StaticSite \(ties go to namespace\/name order\); set a different spec\.pathPrefix or domain$/,
  },
  {
    name: 'the next claimant takes over once the owner namespace has no claim left',
    claim: claim('b', 'two', '2', ['x.test']),
    rivals: [claim('c', 'three', '3', ['x.test'])],
  },
  {
    name: 'a webspace newer than a site of another namespace is denied, naming the site',
    claim: claim('b', 'shop', '2', ['x.test'], '/', 'Webspace'),
    rivals: [claim('a', 'blog', '1', ['x.test'])],
    denied: REASON.DomainOwnedByOtherNamespace,
    mentions: /StaticSite blog/,
  },
  {
    name: 'a site newer than a webspace of another namespace is denied, naming the webspace',
    claim: claim('b', 'blog', '2', ['x.test']),
    rivals: [claim('a', 'shop', '1', ['x.test'], '/', 'Webspace')],
    denied: REASON.DomainOwnedByOtherNamespace,
    mentions: /Webspace shop/,
  },
  {
    name: 'in one namespace a site under its own prefix shares the domain of an older webspace',
    claim: claim('a', 'docs', '2', ['x.test'], '/docs'),
    rivals: [claim('a', 'shop', '1', ['x.test'], '/', 'Webspace')],
  },
  {
    name: 'in one namespace a newer webspace loses the whole domain to an older site without prefix',
    claim: claim('a', 'shop', '2', ['x.test'], '/', 'Webspace'),
    rivals: [claim('a', 'blog', '1', ['x.test'])],
    denied: REASON.PathPrefixTaken,
    mentions: /StaticSite blog of this namespace, which claimed it earlier/,
  },
  {
    name: 'a site and a webspace with the same name and time are ordered by kind, so one wins',
    claim: claim('a', 'same', '1', ['x.test'], '/', 'Webspace'),
    rivals: [claim('a', 'same', '1', ['x.test'])],
    denied: REASON.PathPrefixTaken,
  },
]

describe('decideClaim', () => {
  for (const c of cases) {
    it(c.name, () => {
      const denied = decideClaim(c.claim, c.rivals)
      assert.equal(denied?.reason, c.denied)
      if (c.mentions) assert.match(denied?.message ?? '', c.mentions)
    })
  }
})
