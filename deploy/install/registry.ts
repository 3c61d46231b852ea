/**
 * The tenants' registry the install runs when the options give `registry` (docs/builds.md, "The
 * bundled registry"): Debian's distribution registry from the `hostplane-registry` image, one
 * replica replaced with Recreate on its own ReadWriteOnce claim, token auth only. Tokens come from
 * the gitserver's realm, signed with a key cert-manager makes from a self-signed Issuer; the
 * registry trusts that key's certificate.
 *
 * Nodes pull tenants' images by `registry.host`, so both the registry (`/v2/`) and the realm
 * (`/registry/token`) are routed there by the ingress controller with a certificate from the
 * default ClusterIssuer. The gitserver pushes through the registry's Service inside the cluster.
 * The host is read from the ConfigMap `hostplane-registry-settings` (HOSTPLANE_REGISTRY) by the
 * registry, the gitserver and the operator alike; the IngressRoute and the Certificate name it too.
 */
import type { V1Container, V1Volume, V1VolumeMount } from '@kubernetes/client-node'
import { Construct } from 'constructs'
import { stringify } from 'yaml'
import type { Manifest } from '../../src/kube/object.js'
import { GITSERVER_NAME } from './gitserver.js'
import { emit } from './manifest-files.js'
import { hostCertificate, hostRoute } from './public-host.js'
import type { InstallOptions } from './options.js'
import { deploymentManifest, type NamedPort, scratch, serviceManifest } from './workload.js'

export const REGISTRY_NAME = 'hostplane-registry'
/** Where the `hostplane-registry` image (scripts/image/recipe.ts) keeps its config and its blobs. */
export const REGISTRY_FILES = {
  configDir: '/etc/docker/registry',
  configFile: '/etc/docker/registry/config.yml',
  storage: '/var/lib/registry',
  port: 5000,
} as const
/** HOSTPLANE_REGISTRY: the registry's public host, for every process that names it. */
export const REGISTRY_SETTINGS = 'hostplane-registry-settings'
/** cert-manager's Secret whose tls.key signs registry tokens (the gitserver) and whose tls.crt the registry trusts. */
export const REGISTRY_TOKEN_SECRET = 'hostplane-registry-token'
const REGISTRY_TLS_SECRET = 'hostplane-registry-tls'
/**
 * cert-manager's Secret whose tls.key signs customers' pull tickets (the operator, which writes
 * each customer namespace's pull Secret) and whose tls.crt the gitserver's realm checks them with.
 */
export const REGISTRY_PULL_SECRET = 'hostplane-registry-pull'
export const PULL_KEY_DIR = '/etc/hostplane/registry-pull'
const CONFIG = 'hostplane-registry-config'
export const REGISTRY_PORT: NamedPort = { name: 'registry', containerPort: REGISTRY_FILES.port }
/** distribution's debug listener: /debug/health and Prometheus /metrics. */
export const REGISTRY_DEBUG_PORT: NamedPort = { name: 'debug', containerPort: 5001 }
export const TOKEN_CERT_DIR = '/etc/hostplane/registry-token'
/** Where the gitserver serves the token realm (src/build/registry/token-routes.ts). */
export const TOKEN_REALM_PATH = '/registry/token'
export const TOKEN_ISSUER = 'hostplane'

/** The gitserver reaches the registry at its Service, not through the ingress. */
export const registryEndpoint = (namespace: string): string =>
  `http://${REGISTRY_NAME}.${namespace}.svc:${REGISTRY_FILES.port}`

/**
 * distribution's configuration. The realm and the service name the public host, which varies per
 * install: they come from the environment (REGISTRY_AUTH_TOKEN_*), set from the settings ConfigMap.
 */
export function registryConfig(): string {
  return stringify({
    version: 0.1,
    log: { level: 'info', formatter: 'json', fields: { service: REGISTRY_NAME } },
    storage: {
      filesystem: { rootdirectory: REGISTRY_FILES.storage },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: true, age: '168h', interval: '24h', dryrun: false } },
    },
    http: {
      addr: `:${REGISTRY_PORT.containerPort}`,
      headers: { 'X-Content-Type-Options': ['nosniff'] },
      debug: {
        addr: `:${REGISTRY_DEBUG_PORT.containerPort}`,
        prometheus: { enabled: true, path: '/metrics' },
      },
    },
    auth: {
      token: {
        realm: `https://registry.invalid${TOKEN_REALM_PATH}`,
        service: 'registry.invalid',
        issuer: TOKEN_ISSUER,
        rootcertbundle: `${TOKEN_CERT_DIR}/tls.crt`,
      },
    },
    health: { storagedriver: { enabled: true, interval: '10s', threshold: 3 } },
  })
}

const hostFromSettings = {
  name: 'HOSTPLANE_REGISTRY',
  valueFrom: { configMapKeyRef: { name: REGISTRY_SETTINGS, key: 'HOSTPLANE_REGISTRY' } },
}

function registryContainer(
  options: InstallOptions,
  registry: NonNullable<InstallOptions['registry']>,
): V1Container {
  return {
    name: 'registry',
    image: registry.image,
    env: [
      hostFromSettings,
      { name: 'REGISTRY_AUTH_TOKEN_SERVICE', value: '$(HOSTPLANE_REGISTRY)' },
      { name: 'REGISTRY_AUTH_TOKEN_REALM', value: `https://$(HOSTPLANE_REGISTRY)${TOKEN_REALM_PATH}` },
    ],
    ports: [REGISTRY_PORT, REGISTRY_DEBUG_PORT].map((port) => ({ ...port })),
    livenessProbe: {
      httpGet: { path: '/debug/health', port: REGISTRY_DEBUG_PORT.name },
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 6,
    },
    readinessProbe: {
      httpGet: { path: '/debug/health', port: REGISTRY_DEBUG_PORT.name },
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    resources: options.resources.registry,
    volumeMounts: [
      { name: 'data', mountPath: REGISTRY_FILES.storage },
      { name: 'config', mountPath: REGISTRY_FILES.configDir, readOnly: true },
      { name: 'token-cert', mountPath: TOKEN_CERT_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  }
}

/** The Traefik route of the public host: blobs and manifests to the registry, the realm to the gitserver. */
export const registryRoute = (options: InstallOptions, host: string): Manifest =>
  hostRoute(
    options,
    REGISTRY_NAME,
    [
      {
        match: `Host(\`${host}\`) && PathPrefix(\`/v2/\`)`,
        service: REGISTRY_NAME,
        port: REGISTRY_PORT.containerPort,
      },
      { match: `Host(\`${host}\`) && Path(\`${TOKEN_REALM_PATH}\`)`, service: GITSERVER_NAME, port: 80 },
    ],
    REGISTRY_TLS_SECRET,
  )

/** One file of a Secret, read-only to the pod's user only, mounted at `dir`. */
export function secretFile(
  volume: string,
  secretName: string,
  key: string,
  dir: string,
): { volume: V1Volume; mount: V1VolumeMount } {
  return {
    volume: { name: volume, secret: { secretName, items: [{ key, path: key }], defaultMode: 0o400 } },
    mount: { name: volume, mountPath: dir, readOnly: true },
  }
}

export class RegistryWorkload extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: { options: InstallOptions; registry: NonNullable<InstallOptions['registry']> },
  ) {
    super(scope, id)
    const { options, registry } = props
    const { namespace } = options
    emit(this, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: REGISTRY_SETTINGS, namespace },
      data: { HOSTPLANE_REGISTRY: registry.host },
    })
    emit(this, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CONFIG, namespace },
      data: { [REGISTRY_FILES.configFile.slice(REGISTRY_FILES.configDir.length + 1)]: registryConfig() },
    })
    // The signing keys never leave the cluster and are trusted only here: self-signed, and kept
    // across renewals so tokens and tickets in flight stay valid (rotation: docs/builds.md).
    emit(this, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: REGISTRY_TOKEN_SECRET, namespace },
      spec: { selfSigned: {} },
    })
    for (const [secretName, commonName] of [
      [REGISTRY_TOKEN_SECRET, 'hostplane registry token signer'],
      [REGISTRY_PULL_SECRET, 'hostplane registry pull ticket signer'],
    ] as const)
      emit(this, {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: secretName, namespace },
        spec: {
          secretName,
          commonName,
          duration: '87600h',
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Never' },
          issuerRef: { kind: 'Issuer', name: REGISTRY_TOKEN_SECRET },
        },
      })
    emit(this, hostCertificate(options, REGISTRY_TLS_SECRET, registry.host))
    emit(this, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: REGISTRY_NAME, namespace },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: registry.storageClass,
        resources: { requests: { storage: registry.size } },
      },
    })
    emit(
      this,
      deploymentManifest({
        name: REGISTRY_NAME,
        namespace,
        component: 'registry',
        replicas: 1,
        strategy: 'Recreate',
        serviceAccountName: 'default',
        automountServiceAccountToken: false,
        containers: [registryContainer(options, registry)],
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: REGISTRY_NAME } },
          { name: 'config', configMap: { name: CONFIG } },
          {
            name: 'token-cert',
            secret: { secretName: REGISTRY_TOKEN_SECRET, items: [{ key: 'tls.crt', path: 'tls.crt' }] },
          },
          scratch('tmp', '64Mi'),
        ],
      }),
    )
    emit(
      this,
      serviceManifest(namespace, REGISTRY_NAME, 'registry', [
        { name: REGISTRY_PORT.name, port: REGISTRY_PORT.containerPort, targetPort: REGISTRY_PORT.name },
      ]),
    )
    emit(this, registryRoute(options, registry.host))
  }
}
