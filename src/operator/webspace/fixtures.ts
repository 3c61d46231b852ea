/** Small builders for unit tests: webspace `shop` in `sh-acme` on the `static` Runtime. */
import { API_VERSION } from '../../api/kind.js'
import type { Release, Runtime, Webspace } from '../../api/resources.js'
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

/** A Release of `shop` on `main` built from commit `<digit>` repeated, created `minute` minutes past noon. */
export const release = (digit: string, minute: number, spec: Partial<Release['spec']> = {}): Release => ({
  apiVersion: API_VERSION,
  kind: 'Release',
  metadata: {
    name: `shop-${digit}`,
    namespace: 'sh-acme',
    creationTimestamp: `2026-03-01T12:${String(minute).padStart(2, '0')}:00Z`,
  },
  spec: {
    webspace: 'shop',
    branch: 'main',
    commit: digit.repeat(40),
    image: `registry.test/hostplane/acme@sha256:${digit.repeat(64)}`,
    strategy: 'layer',
    pushedBy: { customer: 'acme', fingerprint: `SHA256:${'A'.repeat(43)}`, key: 'laptop' },
    buildLog: { digest: `sha256:${digit.repeat(64)}` },
    ...spec,
  },
})
