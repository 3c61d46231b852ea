/**
 * The operator: two replicas under Lease leader election, so a standby takes over within one
 * lease when the leader's node goes away, while only the leader writes. Site-specific settings
 * come from the ConfigMap `hostplane-operator-settings`, which the platform operator creates
 * (docs/install.md); the args fix what the install itself decides (the pages domain and the issuers
 * too, which the admission policies hold) and win over the ConfigMap.
 */
import { Construct } from 'constructs'
import { emit } from './manifest-files.js'
import { NGINX_SERVICE, NGINX_SERVICE_PORT } from './nginx.js'
import { type InstallOptions, SYSTEM_NAMESPACE } from './options.js'
import type { ServiceAccounts } from './rbac.js'
import { deploymentManifest, HTTP_PORT, hostplaneContainer, scratch, serviceManifest } from './workload.js'

export const OPERATOR_SETTINGS = 'hostplane-operator-settings'

/** The operator's container args: real `hostplane operator` flags (deploy/install/install.test.ts parses them). */
export const operatorArgs = (options: InstallOptions, accounts: ServiceAccounts): string[] => [
  'operator',
  `--system-namespace=${SYSTEM_NAMESPACE}`,
  `--pages-domain=${options.pagesDomain}`,
  `--default-issuer=${options.defaultIssuer}`,
  ...(options.tenantClusterIssuers ? [`--tenant-cluster-issuers=${options.tenantClusterIssuers}`] : []),
  `--ingress-namespace=${options.ingressNamespace}`,
  `--service-account=${accounts.operator}`,
  `--syncer-service-account=${accounts.syncer}`,
  `--nginx-service=${NGINX_SERVICE}`,
  `--nginx-port=${NGINX_SERVICE_PORT}`,
  `--listen=:${HTTP_PORT}`,
]

export class OperatorWorkload extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions; accounts: ServiceAccounts }) {
    super(scope, id)
    const name = 'hostplane-operator'
    emit(
      this,
      deploymentManifest({
        name,
        component: 'operator',
        replicas: 2,
        serviceAccountName: props.accounts.operator,
        automountServiceAccountToken: true,
        containers: [
          hostplaneContainer({
            image: props.options.image,
            args: operatorArgs(props.options, props.accounts),
            settings: OPERATOR_SETTINGS,
            resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          }),
        ],
        volumes: [scratch('tmp', '64Mi')],
      }),
    )
    emit(this, serviceManifest(name, 'operator', [{ name: 'metrics', port: HTTP_PORT, targetPort: 'http' }]))
  }
}
