/** Server-side applies a YAML manifest of the repository, renamed for one test run. */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import type { KubeObject } from '../../src/kube/object.js'
import { type KubeRest, resourcePath } from '../../src/kube/rest.js'
import { REPO_ROOT } from './paths.js'

/**
 * Applies every document of `file` (relative to the repository) after replacing each key of
 * `replace` by its value in the text, so runs sharing a cluster get their own namespaces and
 * cluster-wide names. Only kinds whose plural is `<kind>s` (ServiceAccount, Role, ClusterRole and
 * their bindings, …) are supported; anything else fails loudly.
 */
export async function applyManifest(
  admin: KubeRest,
  file: string,
  replace: Readonly<Record<string, string>> = {},
): Promise<KubeObject[]> {
  let text = await readFile(join(REPO_ROOT, file), 'utf8')
  for (const [from, to] of Object.entries(replace)) text = text.replaceAll(from, to)
  const objects = parseAllDocuments(text).map((document) => document.toJS() as KubeObject)
  for (const object of objects) {
    if (!/^(ServiceAccount|(Cluster)?Role(Binding)?)$/.test(object.kind))
      throw new Error(`unexpected kind ${object.kind} in ${file}`)
    await admin.apply(
      resourcePath({
        apiVersion: object.apiVersion,
        plural: `${object.kind.toLowerCase()}s`,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
      }),
      object,
      { fieldManager: 'hostplane-test' },
    )
  }
  return objects
}
