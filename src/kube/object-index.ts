/**
 * Cached objects grouped by the object they were generated for (a site, a customer, a
 * webspace), fed by informer events: what a reconciler compares its desired objects with.
 */
import type { InformerEvent } from './informer.js'
import type { KubeObject } from './object.js'

export class ObjectIndex {
  /** By owner key, then by the object's identity. */
  private readonly byOwner = new Map<string, Map<string, KubeObject>>()

  constructor(private readonly identity: (object: KubeObject) => string) {}

  /** Records an informer event for the owner `owner`. */
  update(owner: string, event: InformerEvent<KubeObject>): void {
    const objects = this.byOwner.get(owner) ?? new Map<string, KubeObject>()
    if (event.type === 'deleted') objects.delete(this.identity(event.object))
    else objects.set(this.identity(event.object), event.object)
    if (objects.size > 0) this.byOwner.set(owner, objects)
    else this.byOwner.delete(owner)
  }

  get(owner: string): KubeObject[] {
    return [...(this.byOwner.get(owner)?.values() ?? [])]
  }
}
