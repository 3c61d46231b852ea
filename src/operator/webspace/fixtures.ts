/** Small builders for unit tests: webspace `shop` in `sh-acme` on the `static` Runtime. */
import { API_VERSION } from '../../api/kind.js'
import type { Runtime, Webspace } from '../../api/resources.js'
import type { WebspacePlanConfig } from './plan.js'

export const config: WebspacePlanConfig = {
  entryPoints: ['websecure'],
  defaultIssuer: 'letsencrypt',
  tenantClusterIssuers: ['letsencrypt-staging'],
  pagesDomain: 'pages.test',
}

export const runtime: Runtime = {
  apiVersion: API_VERSION,
  kind: 'Runtime',
  metadata: { name: 'static' },
  spec: { image: 'nginx', port: 8080, healthPath: '/' },
}

export const webspace = (spec: Partial<Webspace['spec']> = {}): Webspace => ({
  apiVersion: API_VERSION,
  kind: 'Webspace',
  metadata: {
    name: 'shop',
    namespace: 'sh-acme',
    uid: 'w-uid',
    generation: 1,
    creationTimestamp: '2026-01-01T00:00:00Z',
  },
  spec: { runtime: 'static', tls: { mode: 'auto' }, git: { branch: 'main' }, ...spec },
})
