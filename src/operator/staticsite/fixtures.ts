/** Small builders for unit tests: `site(withDomains('a.test'), inNamespace('team'))`. */
import type { OperatorConfig } from '../config.js'
import type { StaticSite } from './site.js'

export type SiteChange = (site: StaticSite) => void

export function site(...changes: SiteChange[]): StaticSite {
  const result: StaticSite = {
    apiVersion: 'hostplane.dev/v1alpha1',
    kind: 'StaticSite',
    metadata: {
      name: 'blog',
      namespace: 'team-a',
      uid: 'uid-1',
      generation: 1,
      resourceVersion: '100',
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
    spec: {
      repo: 'https://git.example.com/blog.git',
      ref: 'main',
      path: '/',
      syncInterval: '5m',
      tls: { mode: 'auto' },
    },
  }
  for (const change of changes) change(result)
  return result
}

export const named =
  (name: string, namespace?: string): SiteChange =>
  (s) => {
    s.metadata.name = name
    if (namespace) s.metadata.namespace = namespace
  }
export const withDomains =
  (...domains: string[]): SiteChange =>
  (s) => {
    s.spec.domains = domains
  }
export const withPathPrefix =
  (pathPrefix: string): SiteChange =>
  (s) => {
    s.spec.pathPrefix = pathPrefix
  }
export const createdAt =
  (creationTimestamp: string): SiteChange =>
  (s) => {
    s.metadata.creationTimestamp = creationTimestamp
  }
export const withTls =
  (tls: StaticSite['spec']['tls']): SiteChange =>
  (s) => {
    s.spec.tls = tls
  }
export const withFinalizer: SiteChange = (s) => {
  s.metadata.finalizers = ['hostplane.dev/generated-objects']
}
export const deleting: SiteChange = (s) => {
  s.metadata.deletionTimestamp = '2026-01-02T00:00:00Z'
}

export const config = (changes: Partial<OperatorConfig> = {}): OperatorConfig => ({
  systemNamespace: 'hostplane-system',
  pagesDomain: 'pages.test',
  defaultIssuer: 'letsencrypt',
  tenantClusterIssuers: ['letsencrypt-staging'],
  entryPoints: ['websecure'],
  httpEntryPoints: ['web'],
  nginx: { service: 'hostplane-nginx', port: 80 },
  tls: { mode: 'individual' },
  ingressNamespace: 'traefik',
  serviceAccounts: { operator: 'hostplane-operator', syncer: 'hostplane-syncer' },
  ...changes,
})
