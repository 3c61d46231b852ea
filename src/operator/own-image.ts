/**
 * The operator's own image, read from its Pod at start: what backup Jobs run, so they always run
 * the `hostplane backup` of the operator that starts them, even when an install overrides the
 * image (a kustomize `images:` entry changes the Pod's image, never an argument). The Pod's name
 * and namespace come from the downward API; the read is a list by name, as the operator reads
 * everything (RBAC: list pods).
 */
import type { KubeList } from '../kube/object.js'
import { type KubeRest, resourcePath } from '../kube/rest.js'
import type { Logger } from '../ops/log.js'

/** The environment variables the install sets from the downward API. */
export const OWN_POD_ENV = { name: 'HOSTPLANE_POD_NAME', namespace: 'HOSTPLANE_POD_NAMESPACE' } as const

/** The container of the operator's Pod (its command's name, deploy/install/workload.ts). */
const CONTAINER = 'operator'

interface PodImages {
  readonly spec: { readonly containers: readonly { readonly name: string; readonly image: string }[] }
}

/** The image of this Pod's operator container, or undefined (not in a Pod, or it cannot be read: said in the log). */
export async function ownImage(
  rest: Pick<KubeRest, 'request'>,
  env: NodeJS.ProcessEnv,
  log: Logger,
): Promise<string | undefined> {
  const name = env[OWN_POD_ENV.name]
  const namespace = env[OWN_POD_ENV.namespace]
  if (!name || !namespace) return undefined
  try {
    const pods = await rest.request<KubeList<PodImages>>(
      'GET',
      resourcePath({ apiVersion: 'v1', plural: 'pods', namespace }),
      {
        query: { fieldSelector: `metadata.name=${name}` },
      },
    )
    const image = pods.items[0]?.spec.containers.find((c) => c.name === CONTAINER)?.image
    if (!image)
      log.warn(
        { pod: `${namespace}/${name}` },
        'backups wait: this Pod has no operator container to take the backup image from',
      )
    return image
  } catch (error) {
    log.warn(
      { pod: `${namespace}/${name}`, error: error instanceof Error ? error.message : String(error) },
      'backups wait: the operator could not read its own Pod for the backup image (give --backup-image)',
    )
    return undefined
  }
}
