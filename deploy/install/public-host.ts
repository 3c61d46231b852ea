/**
 * A component served at a public host of its own (the registry, the panel): Traefik's route on
 * the `websecure` entry point and the Certificate of that host from the default ClusterIssuer.
 */
import type { Manifest } from '../../src/kube/object.js'
import type { InstallOptions } from './options.js'

export interface HostRule {
  /** A Traefik rule, e.g. Host(`panel.example.com`). */
  readonly match: string
  /** A Service of the system namespace and its port. */
  readonly service: string
  readonly port: number
}

export const hostRoute = (
  options: InstallOptions,
  name: string,
  rules: readonly HostRule[],
  tlsSecret: string,
): Manifest => ({
  apiVersion: 'traefik.io/v1alpha1',
  kind: 'IngressRoute',
  metadata: { name, namespace: options.namespace },
  spec: {
    entryPoints: ['websecure'],
    routes: rules.map(({ match, service, port }) => ({
      kind: 'Rule',
      match,
      services: [{ name: service, port }],
    })),
    tls: { secretName: tlsSecret },
  },
})

export const hostCertificate = (options: InstallOptions, secretName: string, host: string): Manifest => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: secretName, namespace: options.namespace },
  spec: {
    secretName,
    dnsNames: [host],
    issuerRef: { kind: 'ClusterIssuer', name: options.issuers.default },
  },
})
