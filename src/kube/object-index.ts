/**
 * Cached objects grouped by the object they were generated for (a site, a customer, a
 * webspace), fed by informer events: what a reconciler compares its desired objects with.
 *
 * An object is filed under exactly one owner at a time, the one `ownerOf` names for its latest
 * version: when that changes (a relabelled object), it moves, and a delete removes it from
 * wherever it is filed. A stale copy under a former owner would make that owner believe its
 * object still exists (routed while the route is gone, a finalizer waiting forever).
 */
import type { InformerEvent } from './informer.js'
import type { KubeObject } from './object.js'

export class ObjectIndex {
  /** By owner key, then by the object's identity. */
  private readonly byOwner = new Map<string, Map<string, KubeObject>>()
  /** The owner each object is filed under, by identity. */
  private readonly ownerById = new Map<string, string>()

  constructor(
    private readonly identity: (object: KubeObject) => string,
    private readonly ownerOf: (object: KubeObject) => string | undefined,
  ) {}

  /**
   * Records an informer event. Returns the owners whose objects changed, the former one first
   * when the object moved: both must be reconciled.
   */
  update(event: InformerEvent<KubeObject>): string[] {
    const id = this.identity(event.object)
    const former = this.ownerById.get(id)
    const owner = event.type === 'deleted' ? undefined : this.ownerOf(event.object)
    if (former !== undefined && former !== owner) this.remove(former, id)
    if (owner !== undefined) {
      const objects = this.byOwner.get(owner) ?? new Map<string, KubeObject>()
      objects.set(id, event.object)
      this.byOwner.set(owner, objects)
      this.ownerById.set(id, owner)
    }
    return [...new Set([former, owner])].filter((o): o is string => o !== undefined)
  }

  get(owner: string): KubeObject[] {
    return [...(this.byOwner.get(owner)?.values() ?? [])]
  }

  private remove(owner: string, id: string): void {
    const objects = this.byOwner.get(owner)
    objects?.delete(id)
    if (objects?.size === 0) this.byOwner.delete(owner)
    this.ownerById.delete(id)
  }
}
