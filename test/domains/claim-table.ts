/**
 * The shared table of domain claims: one list of rows run against the operator on a real API
 * server (operator-claims.test.ts) and against `hostplane serve` (serve-claims.test.ts), as the
 * serving table runs against nginx, Traefik and the built-in server. A row is a sequence of steps:
 * the sites added in one step claim at the same time (the same second in a cluster, the same scan
 * of the files in serve), each step later than the one before; a step may remove a site. After a
 * step, every site it names in `expect` is routed, or refused with exactly this reason and message.
 *
 * Rows are written with the names of serve (namespaces `team-a`…, domains `x.test`); a runner
 * renames them (`Names`) to keep its rows apart, preserving their order.
 */
import { DOMAIN_REASON, type DomainReason } from '../../src/domains/reasons.js'

export interface Names {
  /** The namespace a row's `team-a` stands for. */
  ns(name: string): string
  /** The domain a row's `x.test` stands for. */
  domain(name: string): string
  readonly pagesDomain: string
}

export interface TableSite {
  readonly namespace: string
  readonly name: string
  /** None: the site uses its default domain `<name>-<namespace>.<pages domain>`. */
  readonly domains?: readonly string[]
  readonly pathPrefix?: string
}

export type Outcome =
  /** Served at `https?://<host><pathPrefix>/`. */
  | { readonly routed: true; readonly host: string }
  | { readonly routed: false; readonly reason: DomainReason; readonly message: string }

export interface Step {
  readonly add?: readonly TableSite[]
  /** `namespace/name` of a site to remove. */
  readonly remove?: string
  /** By `namespace/name`. */
  readonly expect: Readonly<Record<string, Outcome>>
}

export interface ClaimRow {
  readonly name: string
  readonly steps: (n: Names) => readonly Step[]
}

export const siteId = (site: Pick<TableSite, 'namespace' | 'name'>) => `${site.namespace}/${site.name}`

const ownedByOther = (n: Names, domain: string, owner: string, ownerName: string, how: string) =>
  ({
    routed: false,
    reason: DOMAIN_REASON.DomainOwnedByOtherNamespace,
    message: `domain ${n.domain(domain)} belongs to namespace ${n.ns(owner)}, where StaticSite ${ownerName} claimed it ${how}; use another domain, or ask the owner to remove it`,
  }) as const

const TIE = 'at the same time as this StaticSite (ties go to namespace/name order)'

export const CLAIM_ROWS: readonly ClaimRow[] = [
  {
    name: 'same domain in another namespace: the earlier claim keeps it, the later one is refused naming the owner',
    steps: (n) => [
      {
        add: [{ namespace: n.ns('team-a'), name: 'a', domains: [n.domain('x.test')] }],
        expect: { [`${n.ns('team-a')}/a`]: { routed: true, host: n.domain('x.test') } },
      },
      {
        add: [{ namespace: n.ns('team-b'), name: 'b', domains: [n.domain('x.test')] }],
        expect: {
          [`${n.ns('team-a')}/a`]: { routed: true, host: n.domain('x.test') },
          [`${n.ns('team-b')}/b`]: ownedByOther(n, 'x.test', 'team-a', 'a', 'first'),
        },
      },
    ],
  },
  {
    name: 'pathPrefix split inside one namespace: both sites are served',
    steps: (n) => [
      {
        add: [{ namespace: n.ns('team-a'), name: 'root', domains: [n.domain('x.test')] }],
        expect: { [`${n.ns('team-a')}/root`]: { routed: true, host: n.domain('x.test') } },
      },
      {
        add: [
          { namespace: n.ns('team-a'), name: 'docs', domains: [n.domain('x.test')], pathPrefix: '/docs' },
        ],
        expect: {
          [`${n.ns('team-a')}/root`]: { routed: true, host: n.domain('x.test') },
          [`${n.ns('team-a')}/docs`]: { routed: true, host: n.domain('x.test') },
        },
      },
    ],
  },
  {
    name: 'pathPrefix split across namespaces: another namespace gets no path below an owned domain',
    steps: (n) => [
      {
        add: [{ namespace: n.ns('team-a'), name: 'a', domains: [n.domain('x.test')] }],
        expect: { [`${n.ns('team-a')}/a`]: { routed: true, host: n.domain('x.test') } },
      },
      {
        add: [{ namespace: n.ns('team-b'), name: 'b', domains: [n.domain('x.test')], pathPrefix: '/b' }],
        expect: {
          [`${n.ns('team-a')}/a`]: { routed: true, host: n.domain('x.test') },
          [`${n.ns('team-b')}/b`]: ownedByOther(n, 'x.test', 'team-a', 'a', 'first'),
        },
      },
    ],
  },
  {
    name: 'another site’s default domain is refused (DomainRefused), and that site keeps it',
    steps: (n) => {
      const docsDefault = `docs-${n.ns('team-c')}.${n.pagesDomain}`
      return [
        {
          add: [{ namespace: n.ns('team-c'), name: 'docs' }],
          expect: { [`${n.ns('team-c')}/docs`]: { routed: true, host: docsDefault } },
        },
        {
          add: [{ namespace: n.ns('team-b'), name: 'x', domains: [docsDefault] }],
          expect: {
            [`${n.ns('team-c')}/docs`]: { routed: true, host: docsDefault },
            [`${n.ns('team-b')}/x`]: {
              routed: false,
              reason: DOMAIN_REASON.DomainRefused,
              message: `domain ${docsDefault} is reserved: names under ${n.pagesDomain} are the default domains of sites and webspaces, and each may only use its own (x-${n.ns('team-b')}.${n.pagesDomain}); remove it from spec.domains or use a domain of your own`,
            },
          },
        },
      ]
    },
  },
  {
    name: 'takeover: when the owner goes, the site of the other namespace that lost the domain is served',
    steps: (n) => [
      {
        add: [{ namespace: n.ns('team-a'), name: 'a', domains: [n.domain('x.test')] }],
        expect: { [`${n.ns('team-a')}/a`]: { routed: true, host: n.domain('x.test') } },
      },
      {
        add: [{ namespace: n.ns('team-b'), name: 'b', domains: [n.domain('x.test')] }],
        expect: { [`${n.ns('team-b')}/b`]: ownedByOther(n, 'x.test', 'team-a', 'a', 'first') },
      },
      {
        remove: `${n.ns('team-a')}/a`,
        expect: { [`${n.ns('team-b')}/b`]: { routed: true, host: n.domain('x.test') } },
      },
    ],
  },
  {
    name: 'a same-time tie between namespaces goes to namespace/name order, and the message says it was a tie, not "first"',
    steps: (n) => [
      {
        add: [
          { namespace: n.ns('team-b'), name: 'b', domains: [n.domain('x.test')] },
          { namespace: n.ns('team-a'), name: 'a', domains: [n.domain('x.test')] },
        ],
        expect: {
          [`${n.ns('team-a')}/a`]: { routed: true, host: n.domain('x.test') },
          [`${n.ns('team-b')}/b`]: ownedByOther(n, 'x.test', 'team-a', 'a', TIE),
        },
      },
    ],
  },
  {
    name: 'a same-time tie for one prefix inside a namespace goes to name order, and the message does not call the winner older',
    steps: (n) => [
      {
        add: [
          { namespace: n.ns('team-a'), name: 'two', domains: [n.domain('x.test')] },
          { namespace: n.ns('team-a'), name: 'one', domains: [n.domain('x.test')] },
        ],
        expect: {
          [`${n.ns('team-a')}/one`]: { routed: true, host: n.domain('x.test') },
          [`${n.ns('team-a')}/two`]: {
            routed: false,
            reason: DOMAIN_REASON.PathPrefixTaken,
            message: `${n.domain('x.test')} is served by StaticSite one of this namespace, which claimed it ${TIE}; set a different spec.pathPrefix or domain`,
          },
        },
      },
    ],
  },
  {
    name: 'a name whose default domain public CAs refuse ("--" in characters 3–4) is refused (InvalidDefaultDomain), saying what to do',
    steps: (n) => [
      {
        add: [{ namespace: n.ns('team-a'), name: 'ab--cd' }],
        expect: {
          [`${n.ns('team-a')}/ab--cd`]: {
            routed: false,
            reason: DOMAIN_REASON.InvalidDefaultDomain,
            message: `the default domain cannot be served: its first label ab--cd-${n.ns('team-a')} has "--" in the third and fourth characters, which public certificate authorities refuse (it is reserved for internationalised xn-- names); set spec.domains, or use another name`,
          },
        },
      },
    ],
  },
]
