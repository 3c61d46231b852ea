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
  AbsoluteDirectory,
  celMatches,
  celRules,
  DNS_LABEL,
  envListOf,
  EnvVar,
  GitBranch,
  HostnameList,
  MAX_SITE_DOMAINS,
  ObjectName,
  StringEnum,
} from './schema-kit.js'
import { DURATION, TlsSpec } from './staticsite.js'

const MIN_PREVIEW_TTL = '1h'
const MAX_PREVIEW_TTL = '2160h'

/** Label naming the Webspace an object belongs to: its Releases and everything rendered for it. */
export const WEBSPACE_LABEL = 'hostplane.dev/webspace'

/** A webspace's volume size: a quantity in Mi, Gi or Ti. */
export const STORAGE_SIZE = '^[1-9][0-9]{0,5}(Mi|Gi|Ti)$'

/** Longest webspace name: generated objects append suffixes such as `-tls` and stay DNS labels. */
export const MAX_WEBSPACE_NAME = 50

/** How long a new Release may take to become available before the webspace goes back (seconds). */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 300
/** How many Releases of each branch are kept (the running and the previous one always are). */
export const DEFAULT_RELEASE_HISTORY = 10
/** Most Releases a webspace remembers as failed (oldest forgotten first). */
export const MAX_FAILED_RELEASES = 20

/** An env entry of a Webspace: `productionOnly` ones never reach a branch preview. */
export const WebspaceEnvList = envListOf(
  Type.Object({
    ...EnvVar.properties,
    productionOnly: Type.Optional(
      Type.Boolean({
        description:
          'Only the production Deployment gets this entry, never a branch preview (database passwords, payment keys).',
      }),
    ),
  }),
)

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
  env: Type.Optional(WebspaceEnvList),
  release: Type.Optional(
    ObjectName('release', {
      description:
        'Run this Release (a manual rollback) instead of the newest one of git.branch; remove it to follow pushes again.',
    }),
  ),
  releaseHistory: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 50,
      default: DEFAULT_RELEASE_HISTORY,
      description:
        'Releases kept per branch; older ones are deleted (never the running or the previous one).',
    }),
  ),
  rollout: Type.Optional(
    Type.Object({
      progressDeadlineSeconds: Type.Integer({
        minimum: 10,
        maximum: 3600,
        default: DEFAULT_PROGRESS_DEADLINE_SECONDS,
        description:
          'A new Release that makes no progress to Available for this long is rolled back to the previous one.',
      }),
    }),
  ),
  storage: Type.Optional(
    Type.Object({
      size: Type.String({
        maxLength: 16,
        ...celRules({
          rule: celMatches('self', STORAGE_SIZE),
          message: 'storage size must be a quantity such as 512Mi or 10Gi',
        }),
      }),
      mountPath: AbsoluteDirectory('storage mountPath', '/data', { default: '/data' }),
    }),
  ),
  tls: TlsSpec,
  git: Type.Object(
    {
      branch: GitBranch('git.branch', { default: 'main' }),
      previews: Type.Optional(
        Type.Object(
          {
            enabled: Type.Boolean({
              default: false,
              description: 'Deploy pushes of other branches as previews.',
            }),
            ttl: Type.String({
              default: '168h',
              maxLength: 32,
              description: `A preview is removed this long after its branch's last push (${MIN_PREVIEW_TTL} to ${MAX_PREVIEW_TTL}).`,
              ...celRules(
                {
                  rule: celMatches('self', DURATION),
                  message: 'git.previews.ttl must be a duration such as 24h or 90m',
                },
                {
                  rule: `!${celMatches('self', DURATION)} || (duration(self) >= duration('${MIN_PREVIEW_TTL}') && duration(self) <= duration('${MAX_PREVIEW_TTL}'))`,
                  message: `git.previews.ttl must be between ${MIN_PREVIEW_TTL} and ${MAX_PREVIEW_TTL}`,
                },
              ),
            }),
          },
          {
            description:
              'Branch previews at <branch>--<webspace>.<preview domain>, without productionOnly env entries.',
          },
        ),
      ),
    },
    { default: { branch: 'main' } },
  ),
})

/** Lines of a running build the Webspace's status keeps: enough to follow, small beside 1 MiB. */
export const MAX_BUILD_STATUS_LINES = 200
/** A build log line is cut to this length (the gitserver's own bound). */
export const MAX_BUILD_LINE = 1024

export const BUILD_PHASES = ['Building', 'Succeeded', 'Failed'] as const

export const BuildStatus = Type.Object(
  {
    phase: StringEnum(BUILD_PHASES, { description: 'Building until the push is accepted or refused.' }),
    branch: Type.String({ maxLength: 255 }),
    commit: Type.String({ maxLength: 40 }),
    preview: Type.Optional(Type.Boolean()),
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
    release: Type.Optional(
      Type.String({ maxLength: 253, description: 'The Release a successful build made.' }),
    ),
    lineCount: Type.Integer({
      minimum: 0,
      description: 'Lines the build has written so far; `lines` holds the last of them.',
    }),
    lines: Type.Array(Type.String({ maxLength: MAX_BUILD_LINE }), {
      maxItems: MAX_BUILD_STATUS_LINES,
      'x-kubernetes-list-type': 'atomic',
    }),
  },
  {
    description:
      "The latest build of a push to the Webspace's repository, written by the gitserver while it runs (about once a second) and when it ends, so the panel and kubectl can follow it.",
  },
)
export type BuildStatus = Static<typeof BuildStatus>

export const WebspaceStatus = Type.Object({
  ...commonStatus,
  url: Type.Optional(Type.String({ maxLength: 2048 })),
  image: Type.Optional(Type.String({ maxLength: 512, description: 'The image the Deployment runs.' })),
  release: Type.Optional(Type.String({ maxLength: 253, description: 'The Release the Deployment runs.' })),
  previousRelease: Type.Optional(
    Type.String({ maxLength: 253, description: 'The Release that ran before it (kept by pruning).' }),
  ),
  failedReleases: Type.Optional(
    Type.Array(Type.String({ maxLength: 253 }), {
      maxItems: MAX_FAILED_RELEASES,
      'x-kubernetes-list-type': 'set',
      description:
        'Releases that failed their rollout and were rolled back: never chosen again by themselves.',
    }),
  ),
  replicas: Type.Optional(Type.Integer({ minimum: 0 })),
  readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  availableReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  build: Type.Optional(BuildStatus),
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
    { name: 'Release', type: 'string', jsonPath: '.status.release' },
    { name: 'URL', type: 'string', jsonPath: '.status.url' },
    { name: 'Replicas', type: 'integer', jsonPath: '.status.readyReplicas' },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}
