/**
 * nginx: two replicas serving the sites volume read-only with the configuration of
 * src/serve/nginx-config.ts, and a PodDisruptionBudget so a node drain keeps one serving. The
 * image's entrypoint scripts would write to its root file system, so nginx is started directly
 * with the mounted configuration; pid and temp files go to an emptyDir run directory.
 */
import { createHash } from 'node:crypto'
import { Construct } from 'constructs'
import { HEALTH_PATH, renderNginxConfig } from '../../src/serve/nginx-config.js'
import { flagDefault } from './cli-flags.js'
import { emit } from './manifest-files.js'
import { type InstallOptions, SYSTEM_NAMESPACE } from './options.js'
import { SITES_CLAIM, SITES_PATH } from './sites-volume.js'
import {
  componentLabels,
  deploymentManifest,
  HTTP_PORT,
  httpProbes,
  scratch,
  serviceManifest,
} from './workload.js'

/** The Service the operator routes every site to: its `--nginx-service` and `--nginx-port` defaults. */
export const NGINX_SERVICE = flagDefault('operator', '--nginx-service')
export const NGINX_SERVICE_PORT = Number(flagDefault('operator', '--nginx-port'))
const RUN_DIR = '/run/nginx'
const CONFIG_DIR = '/etc/hostplane-nginx'

export class NginxWorkload extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions }) {
    super(scope, id)
    const name = NGINX_SERVICE
    const config = renderNginxConfig({ listen: String(HTTP_PORT), root: SITES_PATH, runDir: RUN_DIR })
    emit(this, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: SYSTEM_NAMESPACE },
      data: { 'nginx.conf': config },
    })
    emit(this, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace: SYSTEM_NAMESPACE },
      automountServiceAccountToken: false,
    })
    const deployment = deploymentManifest({
      name,
      component: 'nginx',
      // nginx reads its configuration once: a new configuration rolls the pods.
      podAnnotations: {
        'hostplane.dev/nginx-config-sha256': createHash('sha256').update(config).digest('hex'),
      },
      replicas: 2,
      serviceAccountName: name,
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'nginx',
          image: props.options.nginxImage,
          command: ['nginx', '-e', 'stderr', '-c', `${CONFIG_DIR}/nginx.conf`, '-g', 'daemon off;'],
          ports: [{ name: 'http', containerPort: HTTP_PORT }],
          ...httpProbes('http', { live: HEALTH_PATH, ready: HEALTH_PATH }),
          resources: {
            requests: { cpu: '50m', memory: '64Mi' },
            limits: { cpu: '1', memory: '256Mi' },
          },
          volumeMounts: [
            { name: 'sites', mountPath: SITES_PATH, readOnly: true },
            { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
            { name: 'run', mountPath: RUN_DIR },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        { name: 'sites', persistentVolumeClaim: { claimName: SITES_CLAIM, readOnly: true } },
        { name: 'config', configMap: { name } },
        scratch('run', '64Mi'),
        scratch('tmp', '64Mi'),
      ],
    })
    emit(this, deployment)
    emit(
      this,
      serviceManifest(name, 'nginx', [{ name: 'http', port: NGINX_SERVICE_PORT, targetPort: 'http' }]),
    )
    emit(this, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, namespace: SYSTEM_NAMESPACE },
      spec: { minAvailable: 1, selector: { matchLabels: componentLabels('nginx') } },
    })
  }
}
