/**
 * The syncer: one replica, replaced with Recreate, because it is the only writer of the sites
 * volume and two syncers would publish the same sites concurrently. Settings (the allowed Git
 * hosts are required) come from the ConfigMap `hostplane-syncer-settings`; webhook secrets and the
 * sync token from the optional Secret `hostplane-syncer-tokens`, mounted as files so they never
 * appear in the pod spec or the process arguments.
 */
import { Construct } from 'constructs'
import { emit } from './manifest-files.js'
import type { InstallOptions } from './options.js'
import { SITES_CLAIM, SITES_PATH } from './sites-volume.js'
import {
  componentLabels,
  deploymentManifest,
  HTTP_PORT,
  hostplaneContainer,
  scratch,
  serviceManifest,
} from './workload.js'

export const SYNCER_SETTINGS = 'hostplane-syncer-settings'
export const SYNCER_TOKENS = 'hostplane-syncer-tokens'
export const SYNCER_SERVICE = 'hostplane-syncer'
const WORK_DIR = '/var/lib/hostplane-syncer'
const SECRETS_DIR = '/etc/hostplane/syncer'

/** The syncer's container args: real `hostplane syncer` flags (deploy/install/install.test.ts parses them). */
export const syncerArgs = (): string[] => [
  'syncer',
  `--sites-root=${SITES_PATH}`,
  `--work-dir=${WORK_DIR}`,
  `--listen=0.0.0.0:${HTTP_PORT}`,
  `--secrets-dir=${SECRETS_DIR}`,
]

export class SyncerWorkload extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions; serviceAccountName: string }) {
    super(scope, id)
    const { namespace, storage } = props.options
    emit(
      this,
      deploymentManifest({
        name: 'hostplane-syncer',
        namespace,
        component: 'syncer',
        replicas: 1,
        strategy: 'Recreate',
        serviceAccountName: props.serviceAccountName,
        automountServiceAccountToken: true,
        // On one node, a replacement syncer goes where nginx already holds the volume: a detachable
        // ReadWriteOnce volume (not local-path, which is pinned to its node) cannot follow elsewhere.
        affinity:
          storage.mode === 'single-node'
            ? {
                podAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                      weight: 100,
                      podAffinityTerm: {
                        labelSelector: { matchLabels: componentLabels('nginx') },
                        topologyKey: 'kubernetes.io/hostname',
                      },
                    },
                  ],
                },
              }
            : undefined,
        containers: [
          hostplaneContainer({
            image: props.options.image,
            args: syncerArgs(),
            settings: SYNCER_SETTINGS,
            resources: props.options.resources.syncer,
            volumeMounts: [
              { name: 'sites', mountPath: SITES_PATH },
              { name: 'work', mountPath: WORK_DIR },
              { name: 'tmp', mountPath: '/tmp' },
              { name: 'tokens', mountPath: SECRETS_DIR, readOnly: true },
            ],
          }),
        ],
        volumes: [
          { name: 'sites', persistentVolumeClaim: { claimName: SITES_CLAIM } },
          // Git mirrors are a cache: a new pod fetches again.
          scratch('work', '10Gi'),
          scratch('tmp', '1Gi'),
          { name: 'tokens', secret: { secretName: SYNCER_TOKENS, optional: true, defaultMode: 0o440 } },
        ],
      }),
    )
    emit(
      this,
      serviceManifest(namespace, SYNCER_SERVICE, 'syncer', [{ name: 'http', port: 80, targetPort: 'http' }]),
    )
  }
}
