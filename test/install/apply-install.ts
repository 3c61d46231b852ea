/**
 * An install applied the way `kubectl apply --server-side` sends it: one server-side apply per
 * object, under one field manager, without `--force-conflicts`; the namespace and the CRDs first,
 * then everything else once the CRDs are Established (what a second kubectl run after `no matches
 * for kind` amounts to). The install test and the upgrade test apply profiles through it.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import type { KubeRest } from '../../src/kube/rest.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'

/** kubectl's field manager for `apply --server-side` when `--field-manager` is not given. */
export const KUBECTL_FIELD_MANAGER = 'kubectl'

/** Every object of a manifest file of the repository, in file order. */
export async function readInstall(file: string): Promise<Manifest[]> {
  const text = await readFile(join(REPO_ROOT, file), 'utf8')
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((object): object is Manifest => object !== null)
}

export const appliedFirst = (object: Manifest) =>
  object.kind === 'Namespace' || object.kind === 'CustomResourceDefinition'

export const applyObject = <T extends Manifest = Manifest>(
  admin: KubeRest,
  object: Manifest,
  fieldManager: string,
): Promise<T> => admin.apply<T>(manifestPath(object), object, { fieldManager, force: false })

type Crd = Manifest & { status?: { conditions?: { type: string; status: string }[] } }

export async function applyInstall(
  admin: KubeRest,
  objects: readonly Manifest[],
  fieldManager: string,
): Promise<void> {
  for (const object of objects.filter(appliedFirst)) await applyObject(admin, object, fieldManager)
  for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition'))
    await waitFor(
      async () => {
        const current = await admin.request<Crd>('GET', manifestPath(crd))
        return (
          current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ||
          undefined
        )
      },
      { timeoutMs: 30_000, describe: () => `CRD ${crd.metadata.name} was not Established` },
    )
  for (const object of objects.filter((o) => !appliedFirst(o))) await applyObject(admin, object, fieldManager)
}
