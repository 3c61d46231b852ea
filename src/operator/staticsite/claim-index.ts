/**
 * The domain claims of every StaticSite and Webspace, indexed by domain, shared by both
 * controllers: a reconcile gathers its rivals without scanning every object, and a change to one
 * claim requeues the other claimants of its domains, whatever their kind (the losers of a domain
 * get it when its owner's last claim goes away). Decisions wait until every kind's claims are
 * loaded, so a new operator never routes a domain to a claimant that an unloaded older claim
 * would deny.
 */
import type { InformerEvent } from '../../kube/informer.js'
import type { KubeObject } from '../../kube/object.js'
import { type Claim, type ClaimKind, claimKey, type ClaimRef } from '../../domains/claims.js'

/** Requeues one claimant of the subscribed kind by its `namespace/name` key. */
export type Requeue = (key: string) => void

export class ClaimIndex {
  private readonly byKey = new Map<string, Claim>()
  private readonly byDomain = new Map<string, Set<string>>()
  private readonly byNamespace = new Map<string, Set<string>>()
  private readonly requeues = new Map<ClaimKind, Requeue>()
  private readonly unsynced: Set<ClaimKind>
  private readonly allSynced: Promise<void>
  private markAllSynced: () => void = () => {}

  /** `kinds`: the kinds whose claims must be loaded before any is decided. */
  constructor(kinds: readonly ClaimKind[] = ['StaticSite', 'Webspace']) {
    this.unsynced = new Set(kinds)
    this.allSynced = new Promise((resolve) => (this.markAllSynced = resolve))
    if (this.unsynced.size === 0) this.markAllSynced()
  }

  /** Where claimants of `kind` go when a rival's claim changed. */
  subscribe(kind: ClaimKind, requeue: Requeue): void {
    this.requeues.set(kind, requeue)
  }

  /**
   * Sets (or with undefined, removes) a claimant's claim. When it changed, requeues the other
   * claimants that shared a domain with it before or after, whose decisions may change with it.
   */
  set(ref: ClaimRef, claim: Claim | undefined): void {
    const key = claimKey(ref)
    const previous = this.byKey.get(key)
    if (JSON.stringify(previous) === JSON.stringify(claim)) return
    const affected = new Set<string>()
    for (const domain of previous?.domains ?? []) {
      const keys = this.byDomain.get(domain)
      keys?.delete(key)
      if (keys?.size === 0) this.byDomain.delete(domain)
      for (const other of keys ?? []) affected.add(other)
    }
    if (claim) {
      this.byKey.set(key, claim)
      for (const domain of claim.domains) {
        const keys = this.byDomain.get(domain) ?? new Set<string>()
        for (const other of keys) affected.add(other)
        keys.add(key)
        this.byDomain.set(domain, keys)
      }
    } else {
      this.byKey.delete(key)
    }
    // The namespace's domain count changed: its other claimants may now fit the customer's limit, or not.
    const namespace = this.byNamespace.get(ref.namespace) ?? new Set<string>()
    if (claim) namespace.add(key)
    else namespace.delete(key)
    if (namespace.size > 0) this.byNamespace.set(ref.namespace, namespace)
    else this.byNamespace.delete(ref.namespace)
    if (previous?.domains.join() !== claim?.domains.join()) for (const other of namespace) affected.add(other)
    affected.delete(key)
    for (const other of affected) {
      const rival = this.byKey.get(other)
      if (rival) this.requeues.get(rival.kind)?.(`${rival.namespace}/${rival.name}`)
    }
  }

  /** Records an informer event of a claimant of `kind`: its claim, or none once deleted. */
  track<T extends KubeObject>(
    kind: ClaimKind,
    { type, object }: InformerEvent<T>,
    claimOf: (object: T) => Claim | undefined,
  ): void {
    const ref = { kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name }
    this.set(ref, type === 'deleted' ? undefined : claimOf(object))
  }

  /** Claims `objects` of `kind` anew, when something their claims depend on changed (their Customer). */
  reclaim<T extends KubeObject>(
    kind: ClaimKind,
    objects: readonly T[],
    claimOf: (object: T) => Claim | undefined,
  ): void {
    for (const object of objects) this.track(kind, { type: 'updated', object }, claimOf)
  }

  /** Claims of other claimants (of either kind) sharing at least one of the domains. */
  rivals(claim: Claim): Claim[] {
    const self = claimKey(claim)
    const keys = new Set<string>()
    for (const domain of claim.domains) for (const key of this.byDomain.get(domain) ?? []) keys.add(key)
    keys.delete(self)
    return [...keys].flatMap((key) => this.byKey.get(key) ?? [])
  }

  /** Claims of every claimant (of either kind) in the namespace, for the customer's domain limit. */
  inNamespace(namespace: string): Claim[] {
    return [...(this.byNamespace.get(namespace) ?? [])].flatMap((key) => this.byKey.get(key) ?? [])
  }

  /**
   * The controller of `kind` has set every claim of its synced cache. Resolves once every kind's
   * claims are loaded, or when `signal` aborts (that controller stopping).
   */
  loaded(kind: ClaimKind, signal: AbortSignal): Promise<void> {
    this.unsynced.delete(kind)
    if (this.unsynced.size === 0) this.markAllSynced()
    if (signal.aborted) return Promise.resolve()
    return Promise.race([
      this.allSynced,
      new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
    ])
  }
}
