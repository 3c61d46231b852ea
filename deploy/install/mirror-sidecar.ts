/**
 * `mirror` storage: the `hostplane mirror` container of every nginx pod. It follows the syncer's
 * feed (the Service `hostplane-syncer`, port `mirror-feed`) and switches each revision into the
 * pod's own sites volume, which nginx mounts read-only. Its `/readyz` answers 200 only once it
 * holds every site's served revision, and a pod is Ready (an endpoint of the nginx Service) only
 * when all its containers are: a new replica takes no traffic before its copy is complete, while
 * nginx and the mirror start side by side. `/readyz` stays 200 when the syncer goes away, so the
 * replicas keep serving what they have.
 * Its settings are the syncer's ConfigMap: the limits of a published tree and the revisions kept
 * (`--max-site-size`, `--max-file-size`, `--max-files`, `--keep-revisions`) are then the same on
 * both sides, and a mirror never refuses what its syncer published. It needs no Kubernetes access:
 * the pod mounts no ServiceAccount token.
 */
import type { V1Container, V1Volume } from '@kubernetes/client-node'
import type { InstallOptions } from './options.js'
import { SITES_PATH } from './sites-volume.js'
import {
  FEED_PORT,
  MIRROR_TOKEN_KEY,
  MIRROR_TOKEN_SECRET,
  SYNCER_SERVICE,
  SYNCER_SETTINGS,
} from './syncer.js'
import { hostplaneContainer, MIRROR_PORT, type NamedPort } from './workload.js'

const SECRETS_DIR = '/etc/hostplane/mirror'
/** Its health and metrics port: nginx has the pod's 8080. */
export const MIRROR_OPS_PORT: NamedPort = { name: 'mirror', containerPort: MIRROR_PORT }

/** The mirror's container args: real `hostplane mirror` flags (deploy/install/install.test.ts parses them). */
export const mirrorArgs = (): string[] => [
  'mirror',
  // The Service in the pod's own namespace: the first name the pod's DNS search list tries.
  `--syncer-url=http://${SYNCER_SERVICE}:${FEED_PORT.containerPort}`,
  `--sites-root=${SITES_PATH}`,
  `--listen=0.0.0.0:${MIRROR_OPS_PORT.containerPort}`,
  `--secrets-dir=${SECRETS_DIR}`,
]

/** The sidecar writing into the pod's volume `sites`, and the token volume it reads. */
export function mirrorSidecar(options: InstallOptions): { container: V1Container; volume: V1Volume } {
  return {
    container: hostplaneContainer({
      image: options.image,
      args: mirrorArgs(),
      settings: SYNCER_SETTINGS,
      resources: options.resources.mirror,
      opsPort: MIRROR_OPS_PORT,
      volumeMounts: [
        { name: 'sites', mountPath: SITES_PATH },
        { name: 'mirror-token', mountPath: SECRETS_DIR, readOnly: true },
      ],
    }),
    volume: {
      name: 'mirror-token',
      secret: {
        secretName: MIRROR_TOKEN_SECRET,
        items: [{ key: MIRROR_TOKEN_KEY, path: MIRROR_TOKEN_KEY }],
        defaultMode: 0o440,
      },
    },
  }
}
