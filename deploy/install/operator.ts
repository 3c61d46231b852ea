/**
 * The operator: two replicas (by default) under Lease leader election, so a standby takes over
 * within one lease when the leader's node goes away, while only the leader writes. Site-specific
 * settings come from the ConfigMap `hostplane-operator-settings`, which the platform operator
 * creates (docs/install.md); the args and env fix what the install itself decides (the pages
 * domain and the issuers too, which the admission policies hold) and win over the ConfigMap.
 */
import { Construct } from 'constructs'
import { OWN_POD_ENV } from '../../src/operator/own-image.js'
import { emit } from './manifest-files.js'
import { NGINX_SERVICE, NGINX_SERVICE_PORT } from './nginx.js'
import type { InstallOptions } from './options.js'
import type { ServiceAccounts } from './rbac.js'
import { PULL_KEY_DIR, REGISTRY_PULL_SECRET, REGISTRY_SETTINGS, secretFile } from './registry.js'
import { deploymentManifest, HTTP_PORT, hostplaneContainer, scratch, serviceManifest } from './workload.js'

export const OPERATOR_SETTINGS = 'hostplane-operator-settings'

/** The operator's container args: real `hostplane operator` flags (deploy/install/install.test.ts parses them). */
export const operatorArgs = (options: InstallOptions, accounts: ServiceAccounts): string[] => [
  'operator',
  `--system-namespace=${options.namespace}`,
  `--ingress-namespace=${options.ingress.namespace}`,
  ...(options.ingress.podLabels
    ? [
        `--ingress-pod-labels=${Object.entries(options.ingress.podLabels)
          .map(([key, value]) => `${key}=${value}`)
          .join(',')}`,
      ]
    : []),
  `--service-account=${accounts.operator}`,
  `--syncer-service-account=${accounts.syncer}`,
  `--nginx-service=${NGINX_SERVICE}`,
  `--nginx-port=${NGINX_SERVICE_PORT}`,
  `--listen=:${HTTP_PORT}`,
  // With the install's registry: each customer namespace's pull Secret, signed with the pull key;
  // the registry's host comes from its settings ConfigMap (HOSTPLANE_REGISTRY).
  ...(options.registry ? [`--registry-pull-key=${PULL_KEY_DIR}/tls.key`] : []),
]

/**
 * The settings the admission policies hold too, as variables rather than args: a kustomize patch
 * names an env entry (`name: HOSTPLANE_PAGES_DOMAIN`), never a position in a list
 * (docs/install.md). Like args, they win over the settings ConfigMap.
 */
export const operatorEnv = (options: InstallOptions): { name: string; value: string }[] => [
  { name: 'HOSTPLANE_PAGES_DOMAIN', value: options.pagesDomain },
  { name: 'HOSTPLANE_DEFAULT_ISSUER', value: options.issuers.default },
  ...(options.issuers.tenant.length
    ? [{ name: 'HOSTPLANE_TENANT_CLUSTER_ISSUERS', value: options.issuers.tenant.join(',') }]
    : []),
]

export class OperatorWorkload extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions; accounts: ServiceAccounts }) {
    super(scope, id)
    const name = 'hostplane-operator'
    const pullKey = props.options.registry
      ? secretFile('registry-pull', REGISTRY_PULL_SECRET, 'tls.key', PULL_KEY_DIR)
      : undefined
    const container = hostplaneContainer({
      image: props.options.image,
      args: operatorArgs(props.options, props.accounts),
      env: operatorEnv(props.options),
      settings: OPERATOR_SETTINGS,
      resources: props.options.resources.operator,
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...(pullKey ? [pullKey.mount] : [])],
    })
    emit(
      this,
      deploymentManifest({
        name,
        namespace: props.options.namespace,
        component: 'operator',
        replicas: props.options.replicas.operator,
        serviceAccountName: props.accounts.operator,
        automountServiceAccountToken: true,
        containers: [
          {
            ...container,
            // Backup Jobs run the operator's own image, read from its Pod: a kustomize `images:`
            // override then changes both at once (docs/install.md).
            env: [
              ...(container.env ?? []),
              {
                name: OWN_POD_ENV.name,
                valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
              },
              {
                name: OWN_POD_ENV.namespace,
                valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
              },
            ],
            ...(pullKey
              ? { envFrom: [...(container.envFrom ?? []), { configMapRef: { name: REGISTRY_SETTINGS } }] }
              : {}),
          },
        ],
        volumes: [scratch('tmp', '64Mi'), ...(pullKey ? [pullKey.volume] : [])],
      }),
    )
    emit(
      this,
      serviceManifest(props.options.namespace, name, 'operator', [
        { name: 'metrics', port: HTTP_PORT, targetPort: 'http' },
      ]),
    )
  }
}
