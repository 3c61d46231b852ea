/**
 * Builds a controller the way every hostplane controller is made: informers on the kind it
 * reconciles (cached without managedFields; each change and each periodic resync queues the
 * object's key), on the kinds it
 * generates (cached without managedFields, filed under one owner, a change queues the owners
 * before and after it) and on
 * the kinds it only reads (the caller says which keys a change queues), one keyed work queue
 * running the reconciler, and the lifecycle of ControllerLifecycle. A controller file then says
 * only what is particular to its kind.
 */
import type { Registry } from 'prom-client'
import type { Logger } from '../ops/log.js'
import { type Cache, ControllerLifecycle } from './controller-lifecycle.js'
import { Informer, type InformerEvent, withoutManagedFields } from './informer.js'
import { objectIdentity } from './manifest-path.js'
import { type KubeObject, objectKey } from './object.js'
import { ObjectIndex } from './object-index.js'
import type { KubeRest } from './rest.js'
import { WorkQueue } from './work-queue.js'

export interface ControllerBuilderOptions {
  /** Names the queue in logs and metrics, e.g. `staticsite`. */
  readonly name: string
  /** The log field that names a key in the "reconciled" debug line, e.g. `site`. */
  readonly keyField: string
  readonly rest: KubeRest
  readonly log: Logger
  readonly registry: Registry
  readonly concurrency: number
  /** Periodic full reconcile of the reconciled kind. */
  readonly resyncMs: number
}

export interface WatchedKind {
  readonly apiVersion: string
  readonly plural: string
}

export interface WatchOptions {
  /** Only this namespace; default all namespaces. */
  readonly namespace?: string
  readonly labelSelector?: string
}

export interface OwnsOptions extends WatchOptions {
  /** The key the object is filed under in the index (the reconciler looks it up by this key). */
  readonly ownerOf: (object: KubeObject) => string | undefined
  /**
   * The work-queue keys a change requeues, given the owners the object was filed under before
   * and after it (both, when a relabel moved it: the former owner must see it gone); default
   * those owners.
   */
  readonly requeue?: (
    event: InformerEvent<KubeObject>,
    owners: readonly string[],
  ) => Iterable<string | undefined>
}

/** A built controller: what the operator starts, stops and asks for readiness. */
export interface Controller {
  /** True once every cache is synced and the queue runs. */
  readonly ready: boolean
  /** A watch of this controller has heard nothing from the API server for too long. */
  readonly stalled: boolean
  start(): Promise<void>
  stop(): Promise<void>
}

/** The step a reconcile took (`none` when nothing changed), and when to reconcile the key again. */
export type ReconcileResult = string | { readonly step: string; readonly requeueAfterMs: number }

export class ControllerBuilder {
  private readonly caches: Cache[] = []
  private readonly queue: WorkQueue
  private reconcile: ((key: string) => Promise<ReconcileResult>) | undefined

  constructor(private readonly options: ControllerBuilderOptions) {
    const { name, keyField, concurrency, log, registry } = options
    this.queue = new WorkQueue({
      name,
      concurrency,
      log,
      registry,
      handle: async (key) => {
        if (!this.reconcile) throw new Error(`the ${name} controller was started before build()`)
        const result = await this.reconcile(key)
        const step = typeof result === 'string' ? result : result.step
        if (step !== 'none') log.debug({ [keyField]: key, step }, 'reconciled')
        return typeof result === 'string' ? undefined : { requeueAfterMs: result.requeueAfterMs }
      },
    })
  }

  /** Queues a key for reconciling. */
  readonly enqueue = (key: string): void => this.queue.add(key)

  /** Queues a key after `ms` (a refused write's slow retry); an earlier pending add wins. */
  readonly enqueueAfter = (key: string, ms: number): void => this.queue.addAfter(key, ms)

  /**
   * The kind the controller reconciles, cached without managedFields (a reconciler reads the
   * object, never who wrote which field; with status writes by two managers the field list is
   * often larger than the rest): every change and every resync queues its key,
   * after `onChange` (which sees the event first, e.g. to update a claim index).
   */
  reconciles<T extends KubeObject>(
    kind: WatchedKind,
    options: WatchOptions & { readonly onChange?: (event: InformerEvent<T>) => void } = {},
  ): Informer<T> {
    const informer = this.informer<T>(kind, {
      ...options,
      resyncMs: this.options.resyncMs,
      transform: withoutManagedFields,
    })
    informer.onChange((event) => {
      options.onChange?.(event)
      this.queue.add(objectKey(event.object))
    })
    return informer
  }

  /** A kind the reconciler reads; `onChange` queues the keys a change concerns. */
  watches<T extends KubeObject>(
    kind: WatchedKind,
    options: WatchOptions & { readonly transform?: (object: T) => T },
    onChange: (event: InformerEvent<T>) => void,
  ): Informer<T> {
    const informer = this.informer<T>(kind, options)
    informer.onChange(onChange)
    return informer
  }

  /** The kinds the controller generates, indexed by owner; a change requeues its owner. */
  owns(kinds: readonly WatchedKind[], options: OwnsOptions): ObjectIndex {
    const { ownerOf, requeue = (_event, owners) => owners } = options
    const index = new ObjectIndex(objectIdentity, ownerOf)
    for (const kind of kinds) {
      const informer = this.informer<KubeObject>(kind, { ...options, transform: withoutManagedFields })
      informer.onChange((event) => {
        for (const key of new Set(requeue(event, index.update(event)))) if (key) this.queue.add(key)
      })
    }
    return index
  }

  /** A cache built elsewhere (e.g. an index on its own informer) that must sync before work starts. */
  cache<C extends Cache>(cache: C): C {
    this.caches.push(cache)
    return cache
  }

  /**
   * The controller: `reconcile` returns the step it took (`none` when nothing changed),
   * optionally with a delay after which the key is reconciled again; `gate` holds the queue until
   * it resolves (see ControllerLifecycle).
   */
  build({
    reconcile,
    gate,
    gateAfter,
  }: {
    readonly reconcile: (key: string) => Promise<ReconcileResult>
    readonly gate?: (stopping: AbortSignal) => Promise<void>
    readonly gateAfter?: readonly Cache[]
  }): Controller {
    this.reconcile = reconcile
    const { caches } = this
    const lifecycle = new ControllerLifecycle({ caches, queue: this.queue, gate, gateAfter })
    return {
      get ready() {
        return lifecycle.ready
      },
      get stalled() {
        return caches.some((cache) => cache.stalled)
      },
      start: () => lifecycle.start(),
      stop: () => lifecycle.stop(),
    }
  }

  private informer<T extends KubeObject>(
    kind: WatchedKind,
    options: WatchOptions & { readonly resyncMs?: number; readonly transform?: (object: T) => T },
  ): Informer<T> {
    const { rest, log } = this.options
    return this.cache(
      new Informer<T>({
        rest,
        log,
        apiVersion: kind.apiVersion,
        plural: kind.plural,
        namespace: options.namespace,
        labelSelector: options.labelSelector,
        resyncMs: options.resyncMs,
        transform: options.transform,
      }),
    )
  }
}
