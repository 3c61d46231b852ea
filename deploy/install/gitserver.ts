/**
 * `hostplane gitserver` (docs/gitserver.md), when the install options enable it: one replica,
 * replaced with Recreate, because it alone writes the repositories' volume (its own
 * ReadWriteOnce claim, which also keeps the generated host key, so clients' known_hosts stay
 * valid across restarts). SSH is served by the Service `hostplane-gitserver` on port 22 (type
 * LoadBalancer by default: customers push from outside the cluster). Optional settings come from
 * the ConfigMap `hostplane-gitserver-settings` (HOSTPLANE_* variables, e.g. HOSTPLANE_MAX_PUSH_SIZE).
 */
import { Construct } from 'constructs'
import { emit } from './manifest-files.js'
import type { GitServerRegistryOption, InstallOptions } from './options.js'
import {
  PULL_KEY_DIR,
  REGISTRY_PULL_SECRET,
  REGISTRY_SETTINGS,
  REGISTRY_TOKEN_SECRET,
  registryEndpoint,
  secretFile,
  TOKEN_ISSUER,
} from './registry.js'
import {
  deploymentManifest,
  HTTP_PORT,
  hostplaneContainer,
  type NamedPort,
  scratch,
  serviceManifest,
} from './workload.js'

export const GITSERVER_NAME = 'hostplane-gitserver'
export const GITSERVER_SETTINGS = 'hostplane-gitserver-settings'
/** The container port of SSH (unprivileged) and its Service port. */
export const SSH_PORT: NamedPort = { name: 'ssh', containerPort: 2222 }
export const SSH_SERVICE_PORT = 22
const DATA_DIR = '/var/lib/hostplane-gitserver'
const RUN_DIR = '/run/hostplane-gitserver'
const TOKEN_KEY_DIR = '/etc/hostplane/registry-token'

const sourceUrlArgs = (namespace: string, jobBuilds: boolean | undefined): string[] =>
  jobBuilds === false ? [] : [`--build-source-url=http://${GITSERVER_NAME}.${namespace}.svc`]

/** Flags of a registry of the user's own, and of Job builds whose Pods fetch sources from this Service. */
const ownRegistryArgs = (namespace: string, registry: GitServerRegistryOption): string[] => [
  `--registry=${registry.host}`,
  `--registry-token-key=${TOKEN_KEY_DIR}/tls.key`,
  `--registry-service=${registry.service ?? registry.host}`,
  `--registry-issuer=${registry.issuer ?? TOKEN_ISSUER}`,
  ...(registry.plainHttp ? ['--registry-plain-http'] : []),
  ...sourceUrlArgs(namespace, registry.jobBuilds),
]

/**
 * Flags of the install's registry (registry.ts): its public host comes from the settings
 * ConfigMap (HOSTPLANE_REGISTRY, also the token service), the gitserver pushes through its Service,
 * and its realm checks the operator's pull tickets with the pull key's certificate.
 */
const bundledRegistryArgs = (namespace: string): string[] => [
  `--registry-token-key=${TOKEN_KEY_DIR}/tls.key`,
  `--registry-pull-cert=${PULL_KEY_DIR}/tls.crt`,
  `--registry-issuer=${TOKEN_ISSUER}`,
  `--registry-endpoint=${registryEndpoint(namespace)}`,
  ...sourceUrlArgs(namespace, true),
]

/** Which registry the gitserver builds into: the install's own, a user's, or none. */
export type GitServerRegistry =
  | { readonly kind: 'bundled' }
  | { readonly kind: 'own'; readonly registry: GitServerRegistryOption }
  | undefined

export function gitserverRegistry(options: InstallOptions): GitServerRegistry {
  if (options.registry) return { kind: 'bundled' }
  const own = options.gitserver?.registry
  return own ? { kind: 'own', registry: own } : undefined
}

/** The gitserver's container args: real `hostplane gitserver` flags (deploy/install/install.test.ts parses them). */
export const gitserverArgs = (namespace: string, registry?: GitServerRegistry): string[] => [
  'gitserver',
  `--repos-dir=${DATA_DIR}/repos`,
  `--host-key=${DATA_DIR}/host_key`,
  '--generate-host-key',
  `--run-dir=${RUN_DIR}`,
  `--ssh-listen=0.0.0.0:${SSH_PORT.containerPort}`,
  `--listen=0.0.0.0:${HTTP_PORT}`,
  ...(registry?.kind === 'bundled' ? bundledRegistryArgs(namespace) : []),
  ...(registry?.kind === 'own' ? ownRegistryArgs(namespace, registry.registry) : []),
]

export class GitServerWorkload extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: {
      options: InstallOptions
      gitserver: NonNullable<InstallOptions['gitserver']>
      serviceAccountName: string
    },
  ) {
    super(scope, id)
    const { namespace } = props.options
    const { gitserver } = props
    const registry = gitserverRegistry(props.options)
    const tokenKeySecret =
      registry?.kind === 'bundled' ? REGISTRY_TOKEN_SECRET : registry?.registry.tokenKeySecret
    const pullCert =
      registry?.kind === 'bundled'
        ? secretFile('registry-pull', REGISTRY_PULL_SECRET, 'tls.crt', PULL_KEY_DIR)
        : undefined
    emit(this, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: GITSERVER_NAME, namespace },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: gitserver.storageClass,
        resources: { requests: { storage: gitserver.size } },
      },
    })
    const container = hostplaneContainer({
      image: props.options.image,
      args: gitserverArgs(namespace, registry),
      settings: GITSERVER_SETTINGS,
      resources: props.options.resources.gitserver,
      morePorts: [SSH_PORT],
      volumeMounts: [
        { name: 'data', mountPath: DATA_DIR },
        { name: 'run', mountPath: RUN_DIR },
        { name: 'tmp', mountPath: '/tmp' },
        ...(tokenKeySecret ? [{ name: 'registry-token', mountPath: TOKEN_KEY_DIR, readOnly: true }] : []),
        ...(pullCert ? [pullCert.mount] : []),
      ],
    })
    emit(
      this,
      deploymentManifest({
        name: GITSERVER_NAME,
        namespace,
        component: 'gitserver',
        replicas: 1,
        strategy: 'Recreate',
        serviceAccountName: props.serviceAccountName,
        automountServiceAccountToken: true,
        containers: [
          {
            ...container,
            envFrom: [
              { configMapRef: { name: GITSERVER_SETTINGS, optional: true } },
              ...(registry?.kind === 'bundled' ? [{ configMapRef: { name: REGISTRY_SETTINGS } }] : []),
            ],
          },
        ],
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: GITSERVER_NAME } },
          // Hooks, their socket and git's HOME: written at every start.
          scratch('run', '64Mi'),
          scratch('tmp', '1Gi'),
          ...(tokenKeySecret
            ? [
                {
                  name: 'registry-token',
                  secret: {
                    secretName: tokenKeySecret,
                    items: [{ key: 'tls.key', path: 'tls.key' }],
                    defaultMode: 0o400,
                  },
                },
              ]
            : []),
          ...(pullCert ? [pullCert.volume] : []),
        ],
      }),
    )
    const service = serviceManifest(namespace, GITSERVER_NAME, 'gitserver', [
      { name: SSH_PORT.name, port: SSH_SERVICE_PORT, targetPort: SSH_PORT.name },
      { name: 'http', port: 80, targetPort: 'http' },
    ])
    emit(this, { ...service, spec: { ...(service.spec as object), type: gitserver.serviceType } })
  }
}
