/**
 * The syncer: one replica, replaced with Recreate, because it is the only writer of the sites
 * volume and two syncers would publish the same sites concurrently. Settings (the allowed Git
 * hosts are required) come from the ConfigMap `hostplane-syncer-settings`; webhook secrets and the
 * sync token from the optional Secret `hostplane-syncer-tokens`, mounted as files so they never
 * appear in the pod spec or the process arguments.
 * In `mirror` storage it also serves the mirror feed on a port of its own (`--mirror-listen`, its
 * Service's port `mirror-feed`), which the NetworkPolicies open to nginx pods only, with the token
 * of the Secret `hostplane-mirror-token`: a Secret the user creates (docs/install.md), because a
 * static profile cannot hold a random secret and a syncer creating it would need the right to
 * create every Secret of its namespace. It is required: without it the kubelet starts neither the
 * syncer nor nginx, and says which Secret is missing.
 */
import type { V1Volume } from '@kubernetes/client-node'
import { Construct } from 'constructs'
import { emit } from './manifest-files.js'
import type { InstallOptions } from './options.js'
import { SITES_CLAIM, SITES_PATH } from './sites-volume.js'
import {
  componentLabels,
  deploymentManifest,
  HTTP_PORT,
  hostplaneContainer,
  MIRROR_PORT,
  type NamedPort,
  scratch,
  serviceManifest,
} from './workload.js'

export const SYNCER_SETTINGS = 'hostplane-syncer-settings'
export const SYNCER_TOKENS = 'hostplane-syncer-tokens'
export const SYNCER_SERVICE = 'hostplane-syncer'
/** The Secret of the mirror feed's token (`mirror` storage), and its one key: the file both commands read. */
export const MIRROR_TOKEN_SECRET = 'hostplane-mirror-token'
export const MIRROR_TOKEN_KEY = 'mirror-token'
/** The container port and Service port of the mirror feed. */
export const FEED_PORT: NamedPort = { name: 'mirror-feed', containerPort: MIRROR_PORT }
const WORK_DIR = '/var/lib/hostplane-syncer'
const SECRETS_DIR = '/etc/hostplane/syncer'

/** The syncer's container args: real `hostplane syncer` flags (deploy/install/install.test.ts parses them). */
export const syncerArgs = (options: InstallOptions): string[] => [
  'syncer',
  `--sites-root=${SITES_PATH}`,
  `--work-dir=${WORK_DIR}`,
  `--listen=0.0.0.0:${HTTP_PORT}`,
  ...(options.storage.mode === 'mirror' ? [`--mirror-listen=0.0.0.0:${FEED_PORT.containerPort}`] : []),
  `--secrets-dir=${SECRETS_DIR}`,
]

/** The files of --secrets-dir: the optional tokens Secret, and in `mirror` storage the required feed token beside them. */
const tokensVolume = (options: InstallOptions): V1Volume =>
  options.storage.mode === 'mirror'
    ? {
        name: 'tokens',
        projected: {
          defaultMode: 0o440,
          sources: [
            { secret: { name: SYNCER_TOKENS, optional: true } },
            {
              secret: {
                name: MIRROR_TOKEN_SECRET,
                items: [{ key: MIRROR_TOKEN_KEY, path: MIRROR_TOKEN_KEY }],
              },
            },
          ],
        },
      }
    : { name: 'tokens', secret: { secretName: SYNCER_TOKENS, optional: true, defaultMode: 0o440 } }

export class SyncerWorkload extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions; serviceAccountName: string }) {
    super(scope, id)
    const { namespace, storage } = props.options
    const mirror = storage.mode === 'mirror'
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
            args: syncerArgs(props.options),
            settings: SYNCER_SETTINGS,
            resources: props.options.resources.syncer,
            morePorts: mirror ? [FEED_PORT] : [],
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
          tokensVolume(props.options),
        ],
      }),
    )
    emit(
      this,
      serviceManifest(namespace, SYNCER_SERVICE, 'syncer', [
        { name: 'http', port: 80, targetPort: 'http' },
        ...(mirror
          ? [{ name: FEED_PORT.name, port: FEED_PORT.containerPort, targetPort: FEED_PORT.name }]
          : []),
      ]),
    )
  }
}
