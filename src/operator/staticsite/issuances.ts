/**
 * cert-manager's objects of each Certificate's issuance in the system namespace, linked the way
 * cert-manager links them, by controller owner reference: a CertificateRequest is owned by its
 * Certificate, an Order by its CertificateRequest, a Challenge by its Order. Fed by informer
 * events; answers "the newest request of Certificate X, its Orders and their Challenges", and
 * which Certificate a changed object belongs to (so its site is requeued).
 */
import type { InformerEvent } from '../../kube/informer.js'
import type { KubeObject } from '../../kube/object.js'
import type { AcmeObject, CertificateRequestObject, Issuance } from './certificate-readiness.js'

export const ISSUANCE_KINDS = {
  CertificateRequest: { apiVersion: 'cert-manager.io/v1', plural: 'certificaterequests' },
  Order: { apiVersion: 'acme.cert-manager.io/v1', plural: 'orders' },
  Challenge: { apiVersion: 'acme.cert-manager.io/v1', plural: 'challenges' },
} as const

const REVISION = 'cert-manager.io/certificate-revision'

const keyOf = (kind: string, name: string) => `${kind}/${name}`

const ownerOf = (object: KubeObject) => object.metadata.ownerReferences?.find((o) => o.controller)

/**
 * What the index keeps of an object: its name, owner, revision and status. The rest (the CSR in
 * `spec.request`, managed fields) is large and unread; of a Challenge's spec, the domain and type.
 */
export function issuanceFields<T extends KubeObject & { spec?: unknown; status?: unknown }>(object: T): T {
  const { name, namespace, ownerReferences, annotations, creationTimestamp, resourceVersion } =
    object.metadata
  const revision = annotations?.[REVISION]
  const spec = object.spec as { dnsName?: string; type?: string } | undefined
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name,
      namespace,
      ownerReferences,
      creationTimestamp,
      resourceVersion,
      ...(revision ? { annotations: { [REVISION]: revision } } : {}),
    },
    ...(object.kind === 'Challenge' ? { spec: { dnsName: spec?.dnsName, type: spec?.type } } : {}),
    status: object.status,
  } as T
}

export class IssuanceIndex {
  private readonly objects = new Map<string, KubeObject>()
  /** `Kind/name` of an owner → `Kind/name` of the objects it owns. */
  private readonly owned = new Map<string, Set<string>>()

  update({ type, object }: InformerEvent<KubeObject>): void {
    const key = keyOf(object.kind, object.metadata.name)
    const owner = ownerOf(object)
    const ownerKey = owner && keyOf(owner.kind, owner.name)
    if (type === 'deleted') {
      this.objects.delete(key)
      if (ownerKey) this.owned.get(ownerKey)?.delete(key)
      if (ownerKey && this.owned.get(ownerKey)?.size === 0) this.owned.delete(ownerKey)
      return
    }
    this.objects.set(key, object)
    if (ownerKey) this.owned.set(ownerKey, (this.owned.get(ownerKey) ?? new Set()).add(key))
  }

  /** The name of the Certificate whose issuance `object` is part of. */
  certificateOf(object: KubeObject): string | undefined {
    let current: KubeObject | undefined = object
    for (let depth = 0; current && depth < 3; depth++) {
      const owner = ownerOf(current)
      if (!owner) return undefined
      if (owner.kind === 'Certificate') return owner.name
      current = this.objects.get(keyOf(owner.kind, owner.name))
    }
    return undefined
  }

  /** The newest CertificateRequest of Certificate `name` (by revision), its Orders and their Challenges. */
  of(name: string): Issuance {
    const children = (kind: string, ownerName: string) =>
      [...(this.owned.get(keyOf(kind, ownerName)) ?? [])].flatMap((key) => this.objects.get(key) ?? [])
    const revision = (request: KubeObject) => Number(request.metadata.annotations?.[REVISION] ?? 0)
    const request = children('Certificate', name)
      .filter((o) => o.kind === 'CertificateRequest')
      .sort(
        (a, b) =>
          revision(b) - revision(a) ||
          (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
      )[0] as CertificateRequestObject | undefined
    if (!request) return { orders: [], challenges: [] }
    const orders = children('CertificateRequest', request.metadata.name) as AcmeObject[]
    const challenges = orders.flatMap((order) => children('Order', order.metadata.name)) as AcmeObject[]
    return { request, orders, challenges }
  }
}
