/**
 * Writes to the API server, all under one field manager per process (field-managers.ts names
 * them). Every write is counted, and an apply is skipped when the cached live object already
 * holds everything we would send: server-side apply of an unchanged object is cheap for the
 * server but still a request, and a controller of thousands of sites must send none on an idle
 * resync.
 */
import { fieldManagerOf } from './field-managers.js'
import { objectIdentity, objectRef } from './manifest-path.js'
import type { KubeObject } from './object.js'
import { refusedWrite } from './refusal.js'
import { isNotFound, type KubeRest, resourcePath } from './rest.js'

/** The call writes need; tests pass a recorder to assert the exact requests. */
export type KubeWriter = Pick<KubeRest, 'request'>

/** Where an object lives: its kind's plural and API version plus its namespace and name. */
export interface ObjectRef {
  readonly apiVersion: string
  readonly plural: string
  readonly namespace?: string
  readonly name: string
  /** e.g. `status`, for a merge patch of the status alone. */
  readonly subresource?: string
}

/** Counts writes by verb and resource (prom-client Counter.inc fits). */
export type WriteCounter = (labels: { verb: string; resource: string }) => void

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * True when `live` holds every field of `desired` with the same value. Fields only the live
 * object has (defaults, other managers' fields, metadata the server sets) do not matter; lists
 * must match in length and order, since server-side apply replaces an atomic list we own whole.
 */
export function containsDesired(live: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((item, index) => containsDesired(live[index], item))
    )
  }
  if (isRecord(desired)) {
    return (
      isRecord(live) && Object.entries(desired).every(([key, value]) => containsDesired(live[key], value))
    )
  }
  return live === desired
}

export class Applier {
  constructor(
    private readonly rest: KubeWriter,
    private readonly countWrite: WriteCounter,
    private readonly fieldManager = fieldManagerOf('operator'),
  ) {}

  /**
   * Makes one owner's objects what `desired` says: applies each (skipping those already as
   * desired) and then, with `prune`, deletes the `live` ones no longer desired. Deleting last
   * means a renamed object (a route after an upgrade) is served under its new name before the
   * old one goes. True when anything was written.
   */
  async converge(
    desired: readonly KubeObject[],
    live: readonly KubeObject[],
    { prune = true }: { prune?: boolean } = {},
  ): Promise<boolean> {
    const wanted = new Set(desired.map(objectIdentity))
    const current = new Map(live.map((o) => [objectIdentity(o), o]))
    const applied = await Promise.allSettled(
      desired.map((o) => this.apply(objectRef(o), o, current.get(objectIdentity(o)))),
    )
    // A refused apply (a quota) must not keep what is no longer desired: prune, then report it.
    const stale = prune ? live.filter((o) => !wanted.has(objectIdentity(o))) : []
    await Promise.all(stale.map((o) => this.delete(objectRef(o))))
    const refused = applied.find((result) => result.status === 'rejected')
    if (refused) throw refused.reason
    return stale.length > 0 || applied.some((result) => result.status === 'fulfilled' && result.value)
  }

  /**
   * Applies `desired` unless `live` (the cached object) already contains it; true when written.
   * A refusal a retry does not fix (a full quota, a denying policy) rejects as WriteRefused.
   */
  async apply(ref: ObjectRef, desired: KubeObject, live: KubeObject | undefined): Promise<boolean> {
    if (live && containsDesired(live, desired)) return false
    this.countWrite({ verb: 'apply', resource: ref.plural })
    await this.serverSideApply(resourcePath(ref), desired).catch((error: unknown) => {
      throw refusedWrite(error, desired)
    })
    return true
  }

  /**
   * Strict field validation: a field the kind's schema does not know is refused instead of being
   * dropped with a warning, so a render mistake fails loudly rather than looking like drift.
   */
  private serverSideApply(path: string, object: unknown) {
    return this.rest.request('PATCH', path, {
      query: { fieldManager: this.fieldManager, force: true, fieldValidation: 'Strict' },
      body: object,
      contentType: 'application/apply-patch+yaml',
    })
  }

  /** Applies the status subresource; the caller compares first (conditions carry timestamps). */
  async applyStatus(ref: ObjectRef, object: KubeObject & { status: unknown }): Promise<void> {
    this.countWrite({ verb: 'apply-status', resource: ref.plural })
    await this.serverSideApply(resourcePath({ ...ref, subresource: 'status' }), object)
  }

  /** JSON merge patch, with `metadata.resourceVersion` in the patch for optimistic concurrency. */
  async mergePatch(ref: ObjectRef, patch: unknown): Promise<void> {
    this.countWrite({ verb: 'patch', resource: ref.plural })
    await this.rest.request('PATCH', resourcePath(ref), {
      body: patch,
      contentType: 'application/merge-patch+json',
    })
  }

  /** Deletes the object; one already gone counts as deleted. */
  async delete(ref: ObjectRef): Promise<void> {
    this.countWrite({ verb: 'delete', resource: ref.plural })
    await this.rest.request('DELETE', resourcePath(ref)).catch((error: unknown) => {
      if (!isNotFound(error)) throw error
    })
  }

  async create(ref: Omit<ObjectRef, 'name'>, object: unknown): Promise<void> {
    this.countWrite({ verb: 'create', resource: ref.plural })
    await this.rest.request('POST', resourcePath(ref), { body: object })
  }
}
