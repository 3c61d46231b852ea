/**
 * nginx: replicas (two by default) serving the sites volume read-only with the configuration of
 * src/serve/nginx-config.ts. The image's entrypoint scripts would write to its root file system,
 * so nginx is started directly with the mounted configuration; pid and temp files go to an
 * emptyDir run directory.
 * - `shared` storage: a PodDisruptionBudget, so a node drain keeps one serving.
 * - `single-node` storage: every replica must run on the syncer's node (required pod affinity),
 *   the only node that can mount the ReadWriteOnce volume. No PodDisruptionBudget: its replicas
 *   cannot move to another node, so one would only block draining that node forever.
 * - `mirror` storage: each pod serves its own volume, which its `hostplane mirror` sidecar keeps
 *   (mirror-sidecar.ts); replicas run on any node. A PodDisruptionBudget as with `shared`: a
 *   replica moved by a drain is Ready only once its copy is complete, and the budget keeps another
 *   serving meanwhile.
 */
import { createHash } from 'node:crypto'
import { Construct } from 'constructs'
import { HEALTH_PATH, renderNginxConfig } from '../../src/serve/nginx-config.js'
import { flagDefault } from './cli-flags.js'
import { emit } from './manifest-files.js'
import { mirrorSidecar } from './mirror-sidecar.js'
import type { InstallOptions } from './options.js'
import { replicaSitesVolume, SITES_CLAIM, SITES_PATH } from './sites-volume.js'
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
    const { namespace, storage } = props.options
    const name = NGINX_SERVICE
    const mirror = storage.replica ? mirrorSidecar(props.options) : undefined
    const config = renderNginxConfig({ listen: String(HTTP_PORT), root: SITES_PATH, runDir: RUN_DIR })
    emit(this, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace },
      data: { 'nginx.conf': config },
    })
    emit(this, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace },
      automountServiceAccountToken: false,
    })
    const deployment = deploymentManifest({
      name,
      namespace,
      component: 'nginx',
      // nginx reads its configuration once: a new configuration rolls the pods.
      podAnnotations: {
        'hostplane.dev/nginx-config-sha256': createHash('sha256').update(config).digest('hex'),
      },
      replicas: props.options.replicas.nginx,
      affinity:
        storage.mode === 'single-node'
          ? {
              podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  {
                    labelSelector: { matchLabels: componentLabels('syncer') },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                ],
              },
            }
          : undefined,
      serviceAccountName: name,
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'nginx',
          image: props.options.nginxImage,
          command: ['nginx', '-e', 'stderr', '-c', `${CONFIG_DIR}/nginx.conf`, '-g', 'daemon off;'],
          ports: [{ name: 'http', containerPort: HTTP_PORT }],
          ...httpProbes('http', { live: HEALTH_PATH, ready: HEALTH_PATH }),
          resources: props.options.resources.nginx,
          volumeMounts: [
            { name: 'sites', mountPath: SITES_PATH, readOnly: true },
            { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
            { name: 'run', mountPath: RUN_DIR },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
        ...(mirror ? [mirror.container] : []),
      ],
      volumes: [
        storage.replica
          ? replicaSitesVolume('sites', storage.replica)
          : { name: 'sites', persistentVolumeClaim: { claimName: SITES_CLAIM, readOnly: true } },
        { name: 'config', configMap: { name } },
        scratch('run', '64Mi'),
        scratch('tmp', '64Mi'),
        ...(mirror ? [mirror.volume] : []),
      ],
    })
    emit(this, deployment)
    emit(
      this,
      serviceManifest(namespace, name, 'nginx', [
        { name: 'http', port: NGINX_SERVICE_PORT, targetPort: 'http' },
      ]),
    )
    if (storage.mode !== 'single-node')
      emit(this, {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, namespace },
        spec: { minAvailable: 1, selector: { matchLabels: componentLabels('nginx') } },
      })
  }
}
