/**
 * StaticSite: a site published from a Git repository (seed 000), served by the shared nginx
 * behind Traefik in a cluster, or by `hostplane serve` on one machine.
 */
import { type Static, Type } from '@sinclair/typebox'
import { commonStatus, conditionColumn } from './conditions.js'
import type { KindDefinition } from './kind.js'
import {
  celMatches,
  celRules,
  HostnameList,
  MAX_SITE_DOMAINS,
  LocalObjectReference,
  ObjectName,
  StringEnum,
  UrlPath,
} from './schema-kit.js'

/** Git URLs we accept: https without credentials, or ssh (URL or scp form) whose host starts alphanumerically. */
export const HTTPS_REPO = '^https://[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?(/[^\\s]*)?$'
export const SSH_REPO =
  '^(ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?/[^\\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9][A-Za-z0-9.-]*:[^\\s/-][^\\s]*)$'
/** A full commit id (SHA-1 or SHA-256 object format). */
export const COMMIT = '^([0-9a-f]{40}|[0-9a-f]{64})$'
/** Go duration as used by Kubernetes, e.g. 30s, 5m, 1h30m. */
export const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$'

/** The annotation whose every new value asks the syncer for a sync now (Flux's `requestedAt`). */
export const REQUESTED_SYNC_ANNOTATION = 'hostplane.dev/requested-sync'
/** Longest annotation value recorded in `status.lastHandledSyncRequest`; longer ones are cut. */
export const MAX_SYNC_REQUEST_LENGTH = 1024

/** Key of the webhook Secret read when `spec.webhook.secretRef.key` is not set. */
export const DEFAULT_WEBHOOK_SECRET_KEY = 'secret'

/** What a request for a missing page gets (`spec.fallback`). */
export const FALLBACK_MODES = ['notFound', 'index'] as const
export type FallbackMode = (typeof FALLBACK_MODES)[number]

export const MIN_SYNC_INTERVAL = '30s'
export const MAX_SYNC_INTERVAL = '24h'

const HeaderRule = Type.Object({
  path: Type.String({
    default: '/',
    maxLength: 512,
    description: 'URL path prefix the headers apply to.',
    ...celRules({
      rule: celMatches('self', "^/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$"),
      message: "headers path must be a URL path starting with '/'",
    }),
  }),
  set: Type.Record(
    Type.String(),
    Type.String({
      maxLength: 4096,
      ...celRules({
        rule: `!${celMatches('self', '[\\r\\n\\x00]')}`,
        message: 'header values must not contain line breaks or NUL',
      }),
    }),
    {
      minProperties: 1,
      maxProperties: 20,
      description: 'Response headers to set, name → value.',
      ...celRules({
        rule: `self.all(k, ${celMatches('k', "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")})`,
        message:
          "header names must be HTTP tokens (letters, digits and !#$%&'*+.^_`|~-), at most 128 characters",
      }),
    },
  ),
})

const RedirectRule = Type.Object({
  from: Type.String({
    maxLength: 512,
    description: "Request path to redirect; a trailing '*' matches every path below it.",
    ...celRules({
      rule: celMatches('self', "^/[A-Za-z0-9._~!$&'()+,;=:@/-]*\\*?$"),
      message: "redirect from must be a path starting with '/', optionally ending in '*'",
    }),
  }),
  to: Type.String({
    maxLength: 2048,
    description: "Target path or https URL; with a '*' in from, ':splat' is replaced by the matched rest.",
    ...celRules({
      rule: `${celMatches('self', '^/[^\\s]*$')} || ${celMatches('self', '^https?://[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?(/[^\\s]*)?$')}`,
      message: 'redirect to must be a path starting with / or an http(s) URL, without spaces',
    }),
  }),
  status: Type.Integer({ default: 301, enum: [301, 302, 307, 308] }),
})

export const TlsSpec = Type.Object(
  {
    mode: StringEnum(['auto', 'secret', 'none'], {
      default: 'auto',
      description:
        "auto: a cert-manager Certificate; secret: an existing TLS Secret in the object's own namespace; none: HTTP only.",
    }),
    clusterIssuer: Type.Optional(ObjectName('tls.clusterIssuer')),
    secretName: Type.Optional(
      ObjectName('tls.secretName', {
        description:
          "With tls.mode secret: a Secret of type kubernetes.io/tls (tls.crt, tls.key) in the object's own namespace. The operator checks that it covers every domain and has not expired (CertificateReady).",
      }),
    ),
  },
  {
    // The API server validates a default as written, without filling in nested defaults.
    default: { mode: 'auto' },
    ...celRules(
      {
        rule: "self.mode != 'secret' || has(self.secretName)",
        message: 'tls.mode secret needs tls.secretName',
        fieldPath: '.secretName',
        reason: 'FieldValueRequired',
      },
      {
        rule: "self.mode == 'secret' || !has(self.secretName)",
        message: 'tls.secretName is only used with tls.mode secret',
        fieldPath: '.secretName',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "self.mode == 'auto' || !has(self.clusterIssuer)",
        message: 'tls.clusterIssuer is only used with tls.mode auto',
        fieldPath: '.clusterIssuer',
        reason: 'FieldValueForbidden',
      },
    ),
  },
)

export const StaticSiteSpec = Type.Object(
  {
    repo: Type.String({
      maxLength: 2048,
      description: 'Git repository: https://host/path, or an ssh URL when secretRef holds an SSH key.',
      ...celRules({
        rule: `${celMatches('self', HTTPS_REPO)} || ${celMatches('self', SSH_REPO)}`,
        message:
          'repo must be an https:// URL without credentials (or ssh://… / git@host:path with secretRef). http, file and ext transports are refused',
      }),
    }),
    ref: Type.String({
      default: 'main',
      maxLength: 255,
      description: 'Branch, tag or full commit id to publish.',
      ...celRules({
        rule: `${celMatches('self', '^[A-Za-z0-9._/+-]+$')} && !self.startsWith('-') && !self.startsWith('/') && !self.endsWith('/') && !self.endsWith('.lock') && !self.contains('..') && !self.contains('//')`,
        message:
          "ref must be a branch, tag or full commit id: letters, digits and . _ / + -, not starting with '-' or '/', without '..'",
      }),
    }),
    path: UrlPath('path', { default: '/', description: 'Subdirectory of the repository to publish.' }),
    domains: Type.Optional(
      HostnameList('each domain', MAX_SITE_DOMAINS, {
        minItems: 1,
        description:
          'Domains serving the site; the first is canonical and the others redirect to it. Default: <name>-<namespace>.<pages domain>.',
      }),
    ),
    pathPrefix: Type.Optional(
      UrlPath('pathPrefix', {
        maxLength: 256,
        description: 'Publish the site under this path of its domains.',
      }),
    ),
    secretRef: Type.Optional(
      LocalObjectReference(
        'secretRef',
        'Secret in the same namespace with Git credentials: username and password (or token), or ssh-privatekey and known_hosts.',
      ),
    ),
    webhook: Type.Optional(
      Type.Object(
        {
          secretRef: Type.Object(
            {
              name: ObjectName('webhook.secretRef.name'),
              key: Type.Optional(
                Type.String({
                  minLength: 1,
                  maxLength: 253,
                  description: `Key of the Secret holding the webhook secret; default ${DEFAULT_WEBHOOK_SECRET_KEY}.`,
                  ...celRules({
                    rule: celMatches('self', '^[-._a-zA-Z0-9]+$'),
                    message: "webhook.secretRef.key must be a Secret key (letters, digits, '-', '_' and '.')",
                  }),
                }),
              ),
            },
            { description: 'Secret in the same namespace holding this site’s webhook secret.' },
          ),
        },
        {
          description:
            'This site’s own webhook: POST /hooks/sites/<namespace>/<name> on the syncer, signed or authenticated with the secret (GitHub, Gitea, Forgejo, GitLab or a bearer token), syncs this site only.',
        },
      ),
    ),
    syncInterval: Type.String({
      default: '5m',
      maxLength: 32,
      description: `How often to check the repository for changes (${MIN_SYNC_INTERVAL} to ${MAX_SYNC_INTERVAL}).`,
      ...celRules(
        {
          rule: celMatches('self', DURATION),
          message: 'syncInterval must be a duration such as 30s, 5m or 1h',
        },
        {
          rule: `!${celMatches('self', DURATION)} || (duration(self) >= duration('${MIN_SYNC_INTERVAL}') && duration(self) <= duration('${MAX_SYNC_INTERVAL}'))`,
          message: `syncInterval must be between ${MIN_SYNC_INTERVAL} and ${MAX_SYNC_INTERVAL}`,
        },
      ),
    }),
    tls: TlsSpec,
    notFound: Type.Optional(
      UrlPath('notFound', {
        maxLength: 256,
        description: 'Page served with status 404; default /404.html when present.',
      }),
    ),
    fallback: Type.Optional(
      StringEnum(FALLBACK_MODES, {
        default: 'notFound',
        description:
          'What a request for a missing page gets. notFound: the notFound page with status 404. index: /index.html with status 200 when the last path segment has no dot (/app/settings), for single-page apps that route in the browser; missing files such as /app.js and paths with a hidden segment still get the 404.',
      }),
    ),
    headers: Type.Optional(
      Type.Array(HeaderRule, { maxItems: 10, description: 'Response headers by path prefix.' }),
    ),
    redirects: Type.Optional(
      Type.Array(RedirectRule, { maxItems: 50, description: 'Redirect rules, first match wins.' }),
    ),
  },
  {
    ...celRules({
      rule: `!${celMatches('self.repo', SSH_REPO)} || has(self.secretRef)`,
      message: 'an ssh repo URL needs secretRef naming a Secret with an SSH key',
      fieldPath: '.secretRef',
      reason: 'FieldValueRequired',
    }),
  },
)

export const RevisionSchema = Type.Object({
  commit: Type.String({ maxLength: 64 }),
  publishedAt: Type.String({ format: 'date-time' }),
})

export const ResourceRefSchema = Type.Object({
  apiVersion: Type.String({ maxLength: 253 }),
  kind: Type.String({ maxLength: 63 }),
  namespace: Type.Optional(Type.String({ maxLength: 63 })),
  name: Type.String({ maxLength: 253 }),
})

export const StaticSiteStatus = Type.Object({
  ...commonStatus,
  url: Type.Optional(Type.String({ maxLength: 2048 })),
  lastSync: Type.Optional(Type.String({ format: 'date-time' })),
  lastCommit: Type.Optional(Type.String({ maxLength: 64 })),
  revisions: Type.Optional(Type.Array(RevisionSchema, { maxItems: 10 })),
  webhookURL: Type.Optional(
    Type.String({ maxLength: 2048, description: 'This site’s webhook URL, when spec.webhook is set.' }),
  ),
  lastHandledSyncRequest: Type.Optional(
    Type.String({
      maxLength: MAX_SYNC_REQUEST_LENGTH,
      description: `The value of the ${REQUESTED_SYNC_ANNOTATION} annotation the syncer last handled.`,
    }),
  ),
  resources: Type.Optional(Type.Array(ResourceRefSchema, { maxItems: 64 })),
})

export type StaticSiteSpec = Static<typeof StaticSiteSpec>
export type StaticSiteStatus = Static<typeof StaticSiteStatus>

export const StaticSiteKind: KindDefinition = {
  kind: 'StaticSite',
  plural: 'staticsites',
  singular: 'staticsite',
  shortNames: ['ss'],
  scope: 'Namespaced',
  description: 'A static website published from a Git repository and routed by Traefik.',
  spec: StaticSiteSpec,
  status: StaticSiteStatus,
  printerColumns: [
    { name: 'URL', type: 'string', jsonPath: '.status.url' },
    { name: 'Commit', type: 'string', jsonPath: '.status.lastCommit', priority: 1 },
    { name: 'Synced', type: 'string', jsonPath: conditionColumn('Synced') },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    {
      name: 'Reason',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
      priority: 1,
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}
