/**
 * The example cert-manager ClusterIssuer a profile ships beside its install (not part of it: the
 * e-mail address is the user's own, and Let's Encrypt refuses example.com). It is named as the
 * install's default issuer and answers HTTP-01 challenges through the ingress controller's
 * Ingress class; the solver pods that cert-manager starts in the system namespace are admitted by
 * the `hostplane-acme-http01-solver` NetworkPolicy (network-policies.ts).
 */
import type { Manifest } from '../../src/kube/object.js'
import type { InstallOptions } from './options.js'

/** Let's Encrypt's staging server: untrusted certificates, generous rate limits; try it first. */
export const LETSENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory'
export const LETSENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory'

/** The Ingress class Traefik's Helm chart, and so k3s, registers. */
const INGRESS_CLASS = 'traefik'

export const renderClusterIssuerExample = (options: InstallOptions): Manifest => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'ClusterIssuer',
  metadata: { name: options.issuers.default },
  spec: {
    acme: {
      email: 'hostmaster@example.com',
      server: LETSENCRYPT_PRODUCTION,
      privateKeySecretRef: { name: `${options.issuers.default}-account-key` },
      solvers: [{ http01: { ingress: { ingressClassName: INGRESS_CLASS } } }],
    },
  },
})
