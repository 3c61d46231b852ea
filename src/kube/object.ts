/** The parts of a Kubernetes object hostplane reads generically, whatever its kind. */
export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  finalizers?: string[]
  ownerReferences?: OwnerReference[]
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string; continue?: string }
  items: T[]
}

/** Cache and work-queue key: `namespace/name`, or `name` for cluster-scoped objects. */
export const objectKey = (object: { metadata: { name: string; namespace?: string } }): string =>
  object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name

/** The inverse of `objectKey`. */
export const splitKey = (key: string): { namespace?: string; name: string } => {
  const slash = key.indexOf('/')
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) }
}

/** A desired object as rendered: the envelope hostplane reads plus whatever its kind carries. */
export type Manifest = KubeObject & Record<string, unknown>

/** An owner reference making `owner` the controller of a generated object. */
export const controllerReference = (owner: KubeObject): OwnerReference => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.metadata.name,
  uid: owner.metadata.uid ?? '',
  controller: true,
  blockOwnerDeletion: true,
})
