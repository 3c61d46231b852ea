/**
 * Webspace: an application (PHP, Node, …) of a customer, built from a Runtime (seeds 001, 003, 004).
 * Lives in the customer's namespace; everything generated for it is owned by it.
 */
import { type Static, Type } from '@sinclair/typebox'
import { commonStatus, conditionColumn } from './conditions.js'
import { SIZES } from './customer.js'
import type { KindDefinition } from './kind.js'
import { Image } from './runtime.js'
import {
  celMatches,
  celRules,
  DNS_LABEL,
  EnvList,
  HostnameList,
  MAX_SITE_DOMAINS,
  ObjectName,
  StringEnum,
} from './schema-kit.js'
import { TlsSpec } from './staticsite.js'

/** Longest webspace name: generated objects append suffixes such as `-tls` and stay DNS labels. */
export const MAX_WEBSPACE_NAME = 50

export const WebspaceSpec = Type.Object({
  runtime: ObjectName('runtime'),
  image: Type.Optional(Image('image', { digestRequired: true })),
  domains: Type.Optional(HostnameList('each domain', MAX_SITE_DOMAINS, { minItems: 1 })),
  replicas: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 10,
      description: 'Replicas; default from the size. 0 stops the app.',
    }),
  ),
  size: Type.Optional(
    StringEnum(SIZES, { description: "Resources per replica; must be offered by the customer's tier." }),
  ),
  env: Type.Optional(EnvList),
  storage: Type.Optional(
    Type.Object({
      size: Type.String({
        maxLength: 16,
        ...celRules({
          rule: celMatches('self', '^[1-9][0-9]{0,5}(Mi|Gi|Ti)$'),
          message: 'storage size must be a quantity such as 512Mi or 10Gi',
        }),
      }),
      mountPath: Type.String({
        default: '/data',
        maxLength: 256,
        ...celRules({
          rule: `${celMatches('self', '^(/[A-Za-z0-9._-]+)+$')} && !${celMatches('self', '(^|/)\\.\\.?(/|$)')}`,
          message: "storage mountPath must be an absolute directory such as /data (not '/')",
        }),
      }),
    }),
  ),
  tls: TlsSpec,
  git: Type.Object(
    {
      branch: Type.String({
        default: 'main',
        maxLength: 255,
        ...celRules({
          rule: `${celMatches('self', '^[A-Za-z0-9._/+-]+$')} && !self.startsWith('-') && !self.contains('..')`,
          message: "git.branch must be a branch name (letters, digits and . _ / + -, not starting with '-')",
        }),
      }),
    },
    { default: { branch: 'main' } },
  ),
})

export const WebspaceStatus = Type.Object({
  ...commonStatus,
  url: Type.Optional(Type.String({ maxLength: 2048 })),
  image: Type.Optional(Type.String({ maxLength: 512 })),
  replicas: Type.Optional(Type.Integer({ minimum: 0 })),
  readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  availableReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
})

export type WebspaceSpec = Static<typeof WebspaceSpec>
export type WebspaceStatus = Static<typeof WebspaceStatus>

export const WebspaceKind: KindDefinition = {
  kind: 'Webspace',
  plural: 'webspaces',
  singular: 'webspace',
  shortNames: ['ws'],
  scope: 'Namespaced',
  description: 'An application of a customer, run from a Runtime and routed by Traefik.',
  spec: WebspaceSpec,
  status: WebspaceStatus,
  objectRules: [
    {
      rule: `size(self.metadata.name) <= ${MAX_WEBSPACE_NAME} && ${celMatches('self.metadata.name', DNS_LABEL)}`,
      message: `metadata.name must be a DNS label of at most ${MAX_WEBSPACE_NAME} characters`,
    },
  ],
  printerColumns: [
    { name: 'Runtime', type: 'string', jsonPath: '.spec.runtime' },
    { name: 'URL', type: 'string', jsonPath: '.status.url' },
    { name: 'Replicas', type: 'integer', jsonPath: '.status.readyReplicas' },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}
