/**
 * Release: the immutable record of one successful build of a Webspace's branch (issue 15) — the
 * commit, the digest-pinned image it became, how it was built and who pushed it. The build gate
 * creates it; nobody edits it (the API server refuses any change of spec); the operator runs one
 * per Webspace and prunes old ones by count. Tenants may read Releases, never write them.
 */
import { createHash } from 'node:crypto'
import { type Static, Type } from '@sinclair/typebox'
import { commonStatus } from './conditions.js'
import type { KindDefinition } from './kind.js'
import { BuildStrategy, Image } from './runtime.js'
import { celMatches, celRules, DNS_LABEL, GitBranch, ObjectName } from './schema-kit.js'
import { MAX_WEBSPACE_NAME, WEBSPACE_LABEL } from './webspace.js'

/** Label selecting a branch's Releases: a branch name may hold `/`, which a label value may not. */
export const RELEASE_BRANCH_LABEL = 'hostplane.dev/branch-hash'

export const COMMIT = '^[0-9a-f]{40}$'
export const SHA256_DIGEST = '^sha256:[0-9a-f]{64}$'

export const ReleaseSpec = Type.Object(
  {
    webspace: Type.String({
      minLength: 1,
      maxLength: MAX_WEBSPACE_NAME,
      description: 'The Webspace (same namespace) this Release was built for.',
      ...celRules({
        rule: celMatches('self', DNS_LABEL),
        message: 'webspace must be the name of a Webspace (a DNS label)',
      }),
    }),
    branch: GitBranch('branch', { description: 'The branch that was pushed (without refs/heads/).' }),
    commit: Type.String({
      maxLength: 40,
      description: 'The pushed commit (40 lower-case hex digits).',
      ...celRules({
        rule: celMatches('self', COMMIT),
        message: 'commit must be a full commit id: 40 lower-case hex digits',
      }),
    }),
    image: Image('image', { digestRequired: true }),
    strategy: BuildStrategy('How it was built'),
    pushedBy: Type.Object(
      {
        customer: ObjectName('pushedBy.customer'),
        fingerprint: Type.String({
          maxLength: 128,
          description: "The pusher's SSH key fingerprint (SHA256:…).",
          ...celRules({
            rule: celMatches('self', '^SHA256:[A-Za-z0-9+/]{43}=?$'),
            message:
              'pushedBy.fingerprint must be an SSH key fingerprint such as SHA256:<43 base64 characters>',
          }),
        }),
        key: Type.String({
          minLength: 1,
          maxLength: 253,
          description: "The SshKey's name, or 'customer' for a key of the Customer's spec.sshKeys.",
        }),
      },
      { description: 'Who pushed: the identity bound by the verified SSH signature.' },
    ),
    buildLog: Type.Object(
      {
        digest: Type.String({
          maxLength: 71,
          description: 'sha256 of the whole build log.',
          ...celRules({
            rule: celMatches('self', SHA256_DIGEST),
            message: 'buildLog.digest must be sha256:<64 lower-case hex digits>',
          }),
        }),
        lines: Type.Optional(
          Type.Array(Type.String({ maxLength: 1024 }), {
            maxItems: 50,
            description: 'The last lines of the build log.',
          }),
        ),
      },
      { description: 'The build log: its digest, and its tail.' },
    ),
  },
  celRules({
    rule: 'self == oldSelf',
    message: 'a Release is immutable: push a new commit to make a new Release',
  }),
)

export const ReleaseStatus = Type.Object({ ...commonStatus })

export type ReleaseSpec = Static<typeof ReleaseSpec>
export type ReleaseStatus = Static<typeof ReleaseStatus>

export const ReleaseKind: KindDefinition = {
  kind: 'Release',
  plural: 'releases',
  singular: 'release',
  shortNames: ['rel'],
  scope: 'Namespaced',
  description: "An immutable build of a Webspace's branch: commit, digest-pinned image and who pushed it.",
  spec: ReleaseSpec,
  status: ReleaseStatus,
  printerColumns: [
    { name: 'Webspace', type: 'string', jsonPath: '.spec.webspace' },
    { name: 'Branch', type: 'string', jsonPath: '.spec.branch' },
    { name: 'Commit', type: 'string', jsonPath: '.spec.commit' },
    { name: 'Image', type: 'string', jsonPath: '.spec.image' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}

/** The first 16 hex digits of the branch name's sha256: a label value for any branch name. */
export const branchHash = (branch: string) => createHash('sha256').update(branch).digest('hex').slice(0, 16)

/** The labels every Release carries, so the operator and the CLI select a webspace's or a branch's. */
export const releaseLabels = (spec: Pick<ReleaseSpec, 'webspace' | 'branch'>): Record<string, string> => ({
  [WEBSPACE_LABEL]: spec.webspace,
  [RELEASE_BRANCH_LABEL]: branchHash(spec.branch),
})

/**
 * A Release's name: `<webspace>-<first 12 of the commit>-<first 6 of the branch hash>` — readable
 * in `hostplane releases`, stable (a retried build of the same push finds its Release), one per
 * branch and commit, and at most 50 + 20 characters.
 */
export const releaseName = (spec: Pick<ReleaseSpec, 'webspace' | 'branch' | 'commit'>) =>
  `${spec.webspace}-${spec.commit.slice(0, 12)}-${branchHash(spec.branch).slice(0, 6)}`
