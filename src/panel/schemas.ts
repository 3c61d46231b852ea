/**
 * The REST API's shapes, written once with TypeBox: fastify validates requests with them, types
 * the handlers with them and openapi.ts turns them into the OpenAPI document. Specs are the very
 * schemas of src/api that the CRDs carry, so a request the panel accepts is a spec the API server
 * judges with the same rules (its CEL rules included: their messages come back as field errors).
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { BACKUP_PHASES, type BackupPhase } from '../api/backup.js'
import { CustomerSpec, MAX_CUSTOMER_NAME } from '../api/customer.js'
import { DOWNLOAD_PARTS, type DownloadPart } from '../backup/download.js'
import { DNS_LABEL } from '../api/schema-kit.js'
import { StaticSiteSpec } from '../api/staticsite.js'
import { WebspaceSpec } from '../api/webspace.js'
import { PANEL_ERRORS } from './errors.js'

/** An object name as the API server accepts it (a DNS subdomain), so no path can be built from anything else. */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'
export const Name = Type.String({ minLength: 1, maxLength: 253, pattern: NAME_PATTERN })

export const NameParams = Type.Object({ name: Name })
export const TokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      // A session-authenticated change without its CSRF token is refused by sign-in's own code.
      code: Type.Unsafe<string>({
        type: 'string',
        enum: [...Object.keys(PANEL_ERRORS), 'HP_ERR_SIGNIN_CSRF'],
      }),
      message: Type.String(),
      fields: Type.Optional(
        Type.Array(
          Type.Object({
            field: Type.String({
              description: 'The field, as the API server names it (e.g. spec.domains[0]).',
            }),
            message: Type.String(),
          }),
        ),
      ),
    }),
  },
  { title: 'Error' },
)

export const StatusWord = Type.Object({
  state: Type.Unsafe<'ok' | 'pending' | 'problem'>({ type: 'string', enum: ['ok', 'pending', 'problem'] }),
  text: Type.String(),
})

const ObjectFields = {
  name: Type.String(),
  createdAt: Type.Optional(Type.String({ format: 'date-time' })),
  resourceVersion: Type.String({
    description: 'Send it back with an update to refuse an edit of a changed object.',
  }),
}

export const SiteView = Type.Object(
  {
    ...ObjectFields,
    url: Type.Optional(Type.String()),
    spec: StaticSiteSpec,
    status: Type.Object({
      ready: StatusWord,
      routed: StatusWord,
      domain: StatusWord,
      certificate: StatusWord,
      sync: StatusWord,
      lastSync: Type.Optional(Type.String({ format: 'date-time' })),
      lastCommit: Type.Optional(Type.String()),
      revisions: Type.Array(
        Type.Object({ commit: Type.String(), publishedAt: Type.String({ format: 'date-time' }) }),
      ),
    }),
  },
  { title: 'StaticSite' },
)

export const LastBuild = Type.Object({
  release: Type.String(),
  commit: Type.String(),
  branch: Type.String(),
  builtAt: Type.Optional(Type.String({ format: 'date-time' })),
})

export const WebspaceView = Type.Object(
  {
    ...ObjectFields,
    url: Type.Optional(Type.String()),
    spec: WebspaceSpec,
    status: Type.Object({
      ready: StatusWord,
      deployed: StatusWord,
      domain: StatusWord,
      certificate: StatusWord,
      release: StatusWord,
      running: Type.Optional(Type.String({ description: 'The Release the webspace runs.' })),
      lastBuild: Type.Optional(LastBuild),
    }),
  },
  { title: 'Webspace' },
)

export const ReleaseView = Type.Object(
  {
    ...ObjectFields,
    webspace: Type.String(),
    branch: Type.String(),
    commit: Type.String(),
    image: Type.String(),
    strategy: Type.String(),
    pushedBy: Type.Object({ fingerprint: Type.String(), key: Type.String() }),
    buildLog: Type.Array(Type.String(), { description: 'The last lines of the build log.' }),
    running: Type.Boolean({ description: 'Whether its webspace runs it now.' }),
  },
  { title: 'Release' },
)

export const SshKeyView = Type.Object(
  {
    ...ObjectFields,
    publicKey: Type.String(),
    title: Type.Optional(Type.String()),
    fingerprint: Type.Optional(Type.String()),
    accepted: StatusWord,
  },
  { title: 'SshKey' },
)

export const TokenView = Type.Object(
  {
    id: Type.String(),
    description: Type.String(),
    createdAt: Type.String(),
  },
  { title: 'ApiToken' },
)

export const NewTokenView = Type.Object(
  {
    ...TokenView.properties,
    token: Type.String({ description: 'The token itself: shown this once, stored only as its hash.' }),
  },
  { title: 'NewApiToken' },
)

export const ActorView = Type.Object(
  {
    id: Type.String({
      description:
        '`token:<id>`, `oidc:<subject>` or `kubernetes:<user>` (`hostplane panel-token`), as the audit log names the caller.',
    }),
    method: Type.Unsafe<'token' | 'oidc' | 'kubernetes'>({
      type: 'string',
      enum: ['token', 'oidc', 'kubernetes'],
    }),
    admin: Type.Boolean({
      description: 'A provider admin (the OpenID Connect admin group, or a kubeconfig’s user).',
    }),
    email: Type.Optional(Type.String()),
    customer: Type.Optional(Type.String({ description: 'The customer the account belongs to.' })),
  },
  { title: 'Actor' },
)

export const MeView = Type.Object(
  {
    actor: ActorView,
    actingAs: Type.String({
      description: 'The customer requests act as: the actor’s own, or the one an admin chose.',
    }),
    customer: Type.String(),
    displayName: Type.String(),
    tier: Type.String(),
    size: Type.String(),
    namespace: Type.String(),
    domains: Type.Array(Type.String()),
    suspended: Type.Boolean(),
    kubernetes: Type.Object(
      { username: Type.String(), groups: Type.Array(Type.String()) },
      { description: 'Who the API server sees for this customer’s requests (a SelfSubjectReview).' },
    ),
  },
  { title: 'Me' },
)

export const DomainsView = Type.Object(
  {
    allowed: Type.Array(Type.String(), {
      description: 'The suffixes your account may claim: each domain itself and every subdomain.',
    }),
    used: Type.Array(
      Type.Object({
        domain: Type.String(),
        kind: Type.Unsafe<'StaticSite' | 'Webspace'>({ type: 'string', enum: ['StaticSite', 'Webspace'] }),
        object: Type.String({ description: 'The name of the site or webspace that uses it.' }),
        claim: Type.Object({
          ...StatusWord.properties,
          fix: Type.Optional(Type.String({ description: 'What to change when it is not claimed.' })),
        }),
      }),
    ),
  },
  { title: 'Domains' },
)

export const UsageView = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        resource: Type.String({
          description: 'The ResourceQuota key, e.g. count/staticsites.hostplane.dev.',
        }),
        label: Type.String(),
        used: Type.String(),
        hard: Type.String(),
        percent: Type.Integer({ minimum: 0, maximum: 100 }),
        state: StatusWord.properties.state,
        text: Type.String(),
      }),
    ),
  },
  { title: 'Usage' },
)

export const CreateSite = Type.Object({ name: Name, spec: StaticSiteSpec })
export const CreateWebspace = Type.Object({ name: Name, spec: WebspaceSpec })
const ResourceVersion = Type.Optional(
  // Opaque to clients, but hostplane's kinds live in etcd, whose versions are decimal numbers; the
  // API server answers anything else with a 500, so it is refused here (found by schemathesis).
  Type.String({
    pattern: '^[0-9]{1,20}$',
    description: 'The resourceVersion of a read: refuse the update (409) when the object changed since.',
  }),
)
export const UpdateSite = Type.Object({ spec: StaticSiteSpec, resourceVersion: ResourceVersion })
export const UpdateWebspace = Type.Object({ spec: WebspaceSpec, resourceVersion: ResourceVersion })
export const Rollback = Type.Object({
  release: Name,
})
export const SiteRollback = Type.Object({
  commit: Type.String({
    pattern: '^[0-9a-f]{40}([0-9a-f]{24})?$',
    description: 'The full commit id of one of the site’s status.revisions.',
  }),
})
export const CreateSshKey = Type.Object({
  name: Name,
  publicKey: Type.String({ minLength: 1, maxLength: 16384 }),
  title: Type.Optional(Type.String({ maxLength: 256 })),
})
export const CreateToken = Type.Object({
  description: Type.String({ minLength: 1, maxLength: 200, description: 'What the token is for.' }),
})
export const ReleaseQuery = Type.Object({ webspace: Type.Optional(Name) })

export const BackupView = Type.Object(
  {
    ...ObjectFields,
    webspace: Type.Optional(Type.String({ description: 'The Webspace whose volume it holds.' })),
    database: Type.Optional(Type.String({ description: 'The Database whose dump it holds.' })),
    schedule: Type.Optional(Type.String({ description: 'The BackupSchedule that took it.' })),
    phase: Type.Optional(Type.Unsafe<BackupPhase>({ type: 'string', enum: [...BACKUP_PHASES] })),
    state: StatusWord,
    takenAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'When it finished (or started, while it runs).' }),
    ),
    files: Type.Optional(
      Type.Object({ files: Type.Integer(), bytes: Type.Integer() }, { description: 'What the volume held.' }),
    ),
    tables: Type.Optional(
      Type.Object(
        { tables: Type.Integer(), rows: Type.Integer() },
        { description: 'What the database held.' },
      ),
    ),
    downloads: Type.Array(Type.Unsafe<DownloadPart>({ type: 'string', enum: [...DOWNLOAD_PARTS] }), {
      description: 'The parts /backups/{name}/download?part= gives: none until it Succeeded.',
    }),
  },
  { title: 'Backup' },
)

export const DownloadQuery = Type.Object({
  part: Type.Unsafe<DownloadPart>({
    type: 'string',
    enum: [...DOWNLOAD_PARTS],
    description: '`files`: the volume as a tar archive; `database`: the dump as it was stored (SQL).',
  }),
  path: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 1024,
      description:
        'With part=files, only this file or directory of the volume, relative to its root (e.g. wp-content/uploads): a directory comes as a tar archive, a file as itself.',
    }),
  ),
})

/** A Customer's name: a DNS label short enough for its namespace `ded-<name>`. */
export const CustomerName = Type.String({ minLength: 1, maxLength: MAX_CUSTOMER_NAME, pattern: DNS_LABEL })
export const CustomerParams = Type.Object({ name: CustomerName })

export const CustomerView = Type.Object(
  {
    ...ObjectFields,
    namespace: Type.String(),
    spec: CustomerSpec,
    status: Type.Object({
      ready: StatusWord,
      provisioned: StatusWord,
      suspended: StatusWord,
    }),
  },
  { title: 'Customer' },
)
export const CreateCustomer = Type.Object({ name: CustomerName, spec: CustomerSpec })
const { displayName, email, tier, size, suspended, domains } = CustomerSpec.properties
/**
 * A field of a change, without the spec's default: request validation fills in defaults, and a
 * default in a merge patch would change a field the admin left out (a size change unsuspending).
 */
const unchangedUnlessGiven = <T extends TSchema>(schema: T) => {
  const copy = { ...schema }
  delete copy.default
  return Type.Optional(copy)
}
export const UpdateCustomer = Type.Object(
  {
    displayName: unchangedUnlessGiven(displayName),
    email: unchangedUnlessGiven(email),
    tier: unchangedUnlessGiven(tier),
    size: unchangedUnlessGiven(size),
    suspended: unchangedUnlessGiven(suspended),
    domains: unchangedUnlessGiven(domains),
    resourceVersion: ResourceVersion,
  },
  { description: 'The fields to change; the others stay as they are.' },
)
export const ActAs = Type.Object({ customer: CustomerName })
export const ActingView = Type.Object(
  {
    actor: ActorView,
    actingAs: Type.Optional(Type.String({ description: 'Absent when the admin acts as no customer.' })),
  },
  { title: 'Acting' },
)

export const ListOf = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item) })

export type SiteView = Static<typeof SiteView>
export type BackupView = Static<typeof BackupView>
export type WebspaceView = Static<typeof WebspaceView>
export type ReleaseView = Static<typeof ReleaseView>
export type SshKeyView = Static<typeof SshKeyView>
export type MeView = Static<typeof MeView>
export type DomainsView = Static<typeof DomainsView>
export type UsageView = Static<typeof UsageView>
export type ActorView = Static<typeof ActorView>
export type CustomerView = Static<typeof CustomerView>
export type UpdateCustomer = Static<typeof UpdateCustomer>
