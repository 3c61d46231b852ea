import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Condition } from '../api/conditions.js'
import { quantity } from '../api/quantity.js'
import { domainClaimWord, quotaLines } from './account-words.js'

const claimed = (status: Condition['status'], reason: string, message = ''): Condition[] => [
  { type: 'DomainClaimed', status, reason, message, lastTransitionTime: '2026-01-01T00:00:00Z' },
]

describe('a domain’s claim in words', () => {
  const table: [string, Condition[] | undefined, ReturnType<typeof domainClaimWord>][] = [
    [
      'a domain no operator has looked at yet is being claimed',
      undefined,
      { state: 'pending', text: 'claiming' },
    ],
    [
      'a held domain is claimed',
      claimed('True', 'DomainClaimed', 'this site holds a.test'),
      { state: 'ok', text: 'claimed' },
    ],
    [
      'a domain outside the customer’s suffixes says to use an allowed one or ask the provider',
      claimed('False', 'DomainNotAllowed', 'shop.other.test is not under acme.test'),
      {
        state: 'problem',
        text: 'shop.other.test is not under acme.test',
        fix: 'use a domain under one of your allowed suffixes, or ask your provider to add this one to your account',
      },
    ],
    [
      'a domain another customer holds says to pick another',
      claimed('False', 'DomainOwnedByOtherNamespace', 'held by another namespace'),
      {
        state: 'problem',
        text: 'held by another namespace',
        fix: 'another customer’s site or webspace holds this domain: pick another domain, or ask your provider if it is yours',
      },
    ],
    [
      'a reason the customer cannot act on gives the message and no advice',
      claimed('False', 'SomethingNew', 'odd'),
      { state: 'problem', text: 'odd' },
    ],
  ]
  for (const [name, conditions, expected] of table)
    it(name, () => assert.deepEqual(domainClaimWord(conditions, undefined), expected))
})

describe('usage against quota in words and numbers', () => {
  it('reads Kubernetes quantities', () => {
    assert.deepEqual(['250m', '1', '256Mi', '1Gi', '5G', '1.5', 'x', '3Q'].map(quantity), [
      0.25,
      1,
      256 * 2 ** 20,
      2 ** 30,
      5e9,
      1.5,
      Number.NaN,
      Number.NaN,
    ])
  })

  it('lists the limits a customer reads, in a fixed order, as "used of hard", and leaves out the generated objects', () => {
    const lines = quotaLines({
      hard: {
        'count/deployments.apps': '2',
        'limits.memory': '1Gi',
        'count/webspaces.hostplane.dev': '2',
        'count/staticsites.hostplane.dev': '10',
        'requests.cpu': '250m',
      },
      used: {
        'count/staticsites.hostplane.dev': '3',
        'count/webspaces.hostplane.dev': '2',
        'limits.memory': '900Mi',
      },
    })
    assert.deepEqual(
      lines.map((l) => [l.text, l.state, l.percent]),
      [
        ['static sites: 3 of 10', 'ok', 30],
        ['webspaces: 2 of 2: the limit is reached', 'problem', 100],
        ['CPU requested: 0 of 250m', 'ok', 0],
        ['memory limit: 900Mi of 1Gi', 'pending', 87],
      ],
    )
  })

  it('a quota without status yet is no lines', () => assert.deepEqual(quotaLines(undefined), []))
})
