/**
 * Customer: a tenant of the platform (seeds 001, 004). Cluster-scoped; owns one namespace,
 * `sh-<name>` on the shared tier or `ded-<name>` on the dedicated tier.
 */
import { type Static, Type } from '@sinclair/typebox'
import { commonStatus, conditionColumn } from './conditions.js'
import type { KindDefinition } from './kind.js'
import { celMatches, celRules, DNS_LABEL, HostnameList, ObjectName, StringEnum } from './schema-kit.js'

export const TIERS = ['shared', 'dedicated'] as const
export const SIZES = ['small', 'medium', 'large', 'xlarge'] as const
export type Tier = (typeof TIERS)[number]
export type Size = (typeof SIZES)[number]

/** Sizes each tier offers (seed 004's resource table). */
export const TIER_SIZES: Readonly<Record<Tier, readonly Size[]>> = {
  shared: ['small', 'medium', 'large'],
  dedicated: ['large', 'xlarge'],
}

/** Longest customer name whose namespace (`ded-<name>`) is still a valid DNS label. */
export const MAX_CUSTOMER_NAME = 59

/** One OpenSSH public key line without options: the shape of Customer sshKeys and SshKey publicKey. */
export const SSH_KEY =
  '^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) [A-Za-z0-9+/]+={0,3}( [^\\r\\n]*)?$'
const IPV4_CIDR =
  '^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}/([0-9]|[12][0-9]|3[0-2])$'
const IPV6_CIDR = '^[0-9a-fA-F:]*:[0-9a-fA-F:]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$'

const sizeRule = (tier: Tier) =>
  `self.tier != '${tier}' || self.size in [${TIER_SIZES[tier].map((s) => `'${s}'`).join(', ')}]`

/** An IPv4 or IPv6 range in CIDR notation; `what` names the field in the message. */
export const IpRange = (what: string) =>
  Type.String({
    maxLength: 64,
    ...celRules({
      rule: `${celMatches('self', IPV4_CIDR)} || ${celMatches('self', IPV6_CIDR)}`,
      message: `${what} must be an IP range such as 203.0.113.0/24`,
    }),
  })

const EgressRule = Type.Object({
  cidr: IpRange('egress cidr'),
  ports: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), {
    minItems: 1,
    maxItems: 16,
    'x-kubernetes-list-type': 'set',
    description: 'TCP ports allowed to that range.',
  }),
})

export const CustomerSpec = Type.Object(
  {
    displayName: Type.String({ minLength: 1, maxLength: 128 }),
    email: Type.String({
      maxLength: 254,
      ...celRules({
        rule: celMatches('self', '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'),
        message: 'email must be an address such as ops@example.com',
      }),
    }),
    tier: StringEnum(TIERS, { default: 'shared' }),
    size: StringEnum(SIZES, { default: 'small' }),
    sshKeys: Type.Optional(
      Type.Array(
        Type.String({
          maxLength: 16384,
          ...celRules({
            rule: celMatches('self', SSH_KEY),
            message:
              'each sshKeys entry must be one public key line such as "ssh-ed25519 AAAA… comment", without options',
          }),
        }),
        { maxItems: 20, 'x-kubernetes-list-type': 'set' },
      ),
    ),
    domains: Type.Optional(
      HostnameList('each domain suffix', 50, {
        description:
          'Domain suffixes this customer may claim for its sites (the domain itself and every subdomain).',
      }),
    ),
    domainOverlap: Type.Optional(
      Type.Object(
        {
          allowedWith: Type.Array(
            Type.String({
              maxLength: MAX_CUSTOMER_NAME,
              ...celRules({
                rule: celMatches('self', DNS_LABEL),
                message: 'each domainOverlap.allowedWith entry must be a Customer name',
              }),
            }),
            {
              maxItems: 20,
              'x-kubernetes-list-type': 'set',
              description:
                "Customers whose domains may overlap this one's (equal, or one a subdomain of the other). Either side naming the other is enough.",
            },
          ),
        },
        {
          description:
            "A platform operator's decision that this customer shares domains with others; without it the admission policy refuses overlapping domains (docs/tenancy.md).",
        },
      ),
    ),
    clusterIssuers: Type.Optional(
      Type.Array(ObjectName('each clusterIssuers entry'), {
        maxItems: 10,
        'x-kubernetes-list-type': 'set',
        description:
          "cert-manager ClusterIssuers this customer's sites and webspaces may name in tls.clusterIssuer, besides the platform default and the platform-wide tenant issuers.",
      }),
    ),
    egress: Type.Optional(
      Type.Array(EgressRule, {
        maxItems: 20,
        description: 'Extra egress the customer namespace may use besides DNS.',
      }),
    ),
    suspended: Type.Boolean({
      default: false,
      description: 'Take every site and webspace of the customer offline.',
    }),
  },
  celRules(
    {
      rule: sizeRule('shared'),
      message: `the shared tier offers sizes ${TIER_SIZES.shared.join(', ')} (xlarge needs tier dedicated)`,
      fieldPath: '.size',
    },
    {
      rule: sizeRule('dedicated'),
      message: `the dedicated tier offers sizes ${TIER_SIZES.dedicated.join(', ')}`,
      fieldPath: '.size',
    },
  ),
)

/** One new certificate order of the customer's sites and webspaces, for its hourly limit. */
export const CertificateOrder = Type.Object({
  /** `<kind>/<namespace>/<name>/<hash of the domains>`: the same order is counted once. */
  object: Type.String({ maxLength: 400 }),
  at: Type.String({ format: 'date-time' }),
})

/** Most orders recorded: the largest hourly limit of any tier (tiers.ts). */
export const MAX_CERTIFICATE_ORDERS = 50

export const CustomerStatus = Type.Object({
  ...commonStatus,
  namespace: Type.Optional(Type.String({ maxLength: 63 })),
  certificateOrders: Type.Optional(
    Type.Array(CertificateOrder, {
      maxItems: MAX_CERTIFICATE_ORDERS,
      description:
        'New certificate orders of the last hour, oldest first: the operator counts them against the tier limit, and a restart does not reset it.',
    }),
  ),
})

export type CustomerSpec = Static<typeof CustomerSpec>
export type CustomerStatus = Static<typeof CustomerStatus>
export type CertificateOrder = Static<typeof CertificateOrder>

export const CustomerKind: KindDefinition = {
  kind: 'Customer',
  plural: 'customers',
  singular: 'customer',
  shortNames: ['cust'],
  scope: 'Cluster',
  description: 'A tenant with its own namespace, quota, network isolation and allowed domains.',
  spec: CustomerSpec,
  status: CustomerStatus,
  objectRules: [
    {
      rule: `size(self.metadata.name) <= ${MAX_CUSTOMER_NAME} && ${celMatches('self.metadata.name', DNS_LABEL)}`,
      message: `metadata.name must be a DNS label of at most ${MAX_CUSTOMER_NAME} characters (it becomes the namespace ded-<name>)`,
    },
  ],
  printerColumns: [
    { name: 'Tier', type: 'string', jsonPath: '.spec.tier' },
    { name: 'Size', type: 'string', jsonPath: '.spec.size' },
    { name: 'Namespace', type: 'string', jsonPath: '.status.namespace' },
    { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspended' },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}
