/**
 * A stand-in API server for reconcile unit tests: it records every write the Applier sends, as
 * `VERB path` lines a test compares whole, and keeps the objects it was given or that were
 * applied, by REST path, the way informer caches would hold them after the watch events. Only
 * what reconcilers send is modelled: server-side apply (object or status), merge patches of
 * finalizers, deletes, and creates (Events are recorded, not stored). A path can be made to
 * refuse writes, as a full quota or a denying policy would.
 */
import type { KubeWriter } from './apply.js'
import { manifestPath } from './manifest-path.js'
import type { KubeObject } from './object.js'

const APPLY = 'application/apply-patch+yaml'
const STATUS = '/status'

export class WriteRecorder implements KubeWriter {
  private readonly objects = new Map<string, KubeObject>()
  private readonly lines: string[] = []
  private readonly refusals = new Map<string, Error>()

  constructor(...objects: KubeObject[]) {
    for (const object of objects) this.put(object)
  }

  /** Stores (or replaces) an object as the cache would hold it. */
  put(object: KubeObject): void {
    this.objects.set(manifestPath(object), object)
  }

  /** The stored object of this kind and name, to read or to change as a watch event would. */
  get<T extends KubeObject>(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): T | undefined {
    return this.objects.get(manifestPath(object as KubeObject)) as T | undefined
  }

  /** Every stored object matching the filter. */
  list(matches: (object: KubeObject) => boolean): KubeObject[] {
    return [...this.objects.values()].filter(matches)
  }

  /** Writes to `path` fail with `error` (recorded as sent) until `refuse(path, undefined)`. */
  refuse(path: string, error: Error | undefined): void {
    if (error) this.refusals.set(path, error)
    else this.refusals.delete(path)
  }

  /** The writes since the last call, as `APPLY|PATCH|DELETE|CREATE path`. */
  writes(): string[] {
    return this.lines.splice(0)
  }

  async request<T>(
    method: string,
    path: string,
    params: { body?: unknown; contentType?: string } = {},
  ): Promise<T> {
    const body = structuredClone(params.body) as KubeObject & { status?: unknown }
    const refused = this.refusals.get(path)
    if (refused) {
      this.lines.push(
        `${method === 'POST' ? 'CREATE' : params.contentType === APPLY ? 'APPLY' : method} ${path}`,
      )
      throw refused
    }
    if (params.contentType === APPLY) {
      this.lines.push(`APPLY ${path}`)
      if (path.endsWith(STATUS)) {
        const parent = this.objects.get(path.slice(0, -STATUS.length)) as { status?: unknown } | undefined
        if (parent) parent.status = body.status
      } else this.objects.set(path, body)
    } else if (method === 'DELETE') {
      this.lines.push(`DELETE ${path}`)
      this.objects.delete(path)
    } else if (method === 'PATCH') {
      this.lines.push(`PATCH ${path}`)
      if (path.endsWith(STATUS)) {
        const parent = this.objects.get(path.slice(0, -STATUS.length)) as { status?: object } | undefined
        if (parent) parent.status = { ...parent.status, ...(body.status as object) }
      } else {
        const target = this.objects.get(path)
        if (target) target.metadata.finalizers = body.metadata.finalizers
      }
    } else {
      this.lines.push(`${method === 'POST' ? 'CREATE' : method} ${path}`)
    }
    return undefined as T
  }
}
