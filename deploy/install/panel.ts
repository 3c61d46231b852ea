/**
 * `hostplane panel` (docs/panel.md), when the install options give `panel`: one replica (sign-in
 * sessions live in the process: a restart signs people out, a second replica would not know the
 * first one's sessions), as the ServiceAccount of deploy/rbac/panel.yaml, which may only
 * impersonate. The ingress controller routes the panel's host to it with a certificate from the
 * default ClusterIssuer. The provider's settings come from the ConfigMap `hostplane-panel-settings`
 * (HOSTPLANE_PUBLIC_URL, HOSTPLANE_OIDC_*), which an overlay may patch; the client secret is read
 * from a file of the Secret the options name, which the install does not contain.
 */
import { Construct } from 'constructs'
import { emit } from './manifest-files.js'
import type { InstallOptions } from './options.js'
import { hostCertificate, hostRoute } from './public-host.js'
import { secretFile } from './registry.js'
import {
  deploymentManifest,
  HTTP_PORT,
  hostplaneContainer,
  type NamedPort,
  scratch,
  serviceManifest,
} from './workload.js'

export const PANEL_NAME = 'hostplane-panel'
export const PANEL_SETTINGS = 'hostplane-panel-settings'
const PANEL_TLS_SECRET = 'hostplane-panel-tls'
/** /healthz, /readyz and /metrics, apart from the API and the pages. */
export const PANEL_OPS_PORT: NamedPort = { name: 'ops', containerPort: 9090 }
export const PANEL_HTTP_PORT: NamedPort = { name: 'http', containerPort: HTTP_PORT }
const OIDC_DIR = '/etc/hostplane/oidc'
export const CLIENT_SECRET_KEY = 'client-secret'

type PanelOptions = NonNullable<InstallOptions['panel']>

/** The panel's container args: real `hostplane panel` flags (deploy/install/install.test.ts parses them). */
export const panelArgs = (panel: PanelOptions): string[] => [
  'panel',
  `--listen=0.0.0.0:${PANEL_HTTP_PORT.containerPort}`,
  `--ops-listen=0.0.0.0:${PANEL_OPS_PORT.containerPort}`,
  `--oidc-client-secret-file=${OIDC_DIR}/${CLIENT_SECRET_KEY}`,
  `--trusted-proxies=${panel.trustedProxies.join(',')}`,
]

/** The settings an overlay may patch: the provider and the claims, as HOSTPLANE_* variables of the flags. */
export function panelSettings(panel: PanelOptions): Record<string, string> {
  const { oidc } = panel
  return {
    HOSTPLANE_PUBLIC_URL: `https://${panel.host}`,
    HOSTPLANE_OIDC_ISSUER: oidc.issuer,
    HOSTPLANE_OIDC_CLIENT_ID: oidc.clientId,
    ...(oidc.customerClaim ? { HOSTPLANE_OIDC_CUSTOMER_CLAIM: oidc.customerClaim } : {}),
    ...(oidc.customerGroupPrefix ? { HOSTPLANE_OIDC_CUSTOMER_GROUP_PREFIX: oidc.customerGroupPrefix } : {}),
    ...(oidc.adminGroup ? { HOSTPLANE_OIDC_ADMIN_GROUP: oidc.adminGroup } : {}),
  }
}

export class PanelWorkload extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: { options: InstallOptions; panel: PanelOptions; serviceAccountName: string },
  ) {
    super(scope, id)
    const { options, panel } = props
    const { namespace } = options
    emit(this, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: PANEL_SETTINGS, namespace },
      data: panelSettings(panel),
    })
    emit(this, hostCertificate(options, PANEL_TLS_SECRET, panel.host))
    emit(
      this,
      hostRoute(
        options,
        PANEL_NAME,
        [{ match: `Host(\`${panel.host}\`)`, service: PANEL_NAME, port: 80 }],
        PANEL_TLS_SECRET,
      ),
    )
    const clientSecret = secretFile('oidc', panel.oidc.clientSecretName, CLIENT_SECRET_KEY, OIDC_DIR)
    emit(
      this,
      deploymentManifest({
        name: PANEL_NAME,
        namespace,
        component: 'panel',
        replicas: 1,
        serviceAccountName: props.serviceAccountName,
        automountServiceAccountToken: true,
        containers: [
          hostplaneContainer({
            image: options.image,
            args: panelArgs(panel),
            settings: PANEL_SETTINGS,
            resources: options.resources.panel,
            opsPort: PANEL_OPS_PORT,
            morePorts: [PANEL_HTTP_PORT],
            volumeMounts: [clientSecret.mount, { name: 'tmp', mountPath: '/tmp' }],
          }),
        ],
        volumes: [clientSecret.volume, scratch('tmp', '64Mi')],
      }),
    )
    emit(
      this,
      serviceManifest(namespace, PANEL_NAME, 'panel', [{ name: 'http', port: 80, targetPort: 'http' }]),
    )
  }
}
