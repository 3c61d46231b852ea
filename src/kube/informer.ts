/**
 * A list-watch cache of one resource, the base of every controller. It lists (in pages), then
 * watches from the list's resourceVersion with bookmarks, and never gives up: any error restarts
 * the watch after a capped exponential backoff, and a 410 Gone (the version fell out of etcd's
 * history) relists and reports what changed meanwhile. Handlers receive every change and, every
 * `resyncMs`, a `resync` event per cached object so periodic reconciles need no timer of their own.
 *
 * Liveness: a hung API server keeps its connections open and sends nothing, which looks like a
 * quiet resource. So the server ends every watch after `watchTimeoutSeconds` (well below
 * `livenessMs`), and a watch that brings nothing (no event, no bookmark) for `livenessMs` is
 * dropped and started anew; `stalled` is true while the informer has heard nothing from the API
 * server for longer than that, which readiness reports.
 */
import { FailureStreak } from '../ops/failure-streak.js'
import type { Logger } from '../ops/log.js'
import { type KubeList, type KubeObject, objectKey } from './object.js'
import { isGone, type KubeRest, resourcePath } from './rest.js'

export type InformerEventType = 'added' | 'updated' | 'deleted' | 'resync'

export interface InformerEvent<T> {
  readonly type: InformerEventType
  readonly object: T
  /** The cached object before an update. */
  readonly previous?: T
}

export interface InformerOptions<T extends KubeObject = KubeObject> {
  readonly rest: KubeRest
  readonly apiVersion: string
  readonly plural: string
  /** Only this namespace; default all namespaces. */
  readonly namespace?: string
  readonly labelSelector?: string
  /** Emit `resync` for every cached object this often; 0 disables. */
  readonly resyncMs?: number
  readonly log: Logger
  /** Server-side watch timeout, jittered by ±10%; the watch is renewed afterwards. @default 45 */
  readonly watchTimeoutSeconds?: number
  /** The longest silence from the API server before the watch is dropped and `stalled`. @default 60000 */
  readonly livenessMs?: number
  readonly clock?: () => number
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number }
  readonly pageSize?: number
  /**
   * Applied to every object before it is cached and handed to listeners, e.g. to drop
   * `metadata.managedFields`, which is often larger than the rest of the object and which
   * controllers do not read: thousands of cached objects then cost far less memory.
   */
  readonly transform?: (object: T) => T
}

interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: T | { code?: number; message?: string; metadata?: { resourceVersion?: string } }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>()
  private readonly listeners = new Set<(event: InformerEvent<T>) => void>()
  private readonly stopping = new AbortController()
  private resourceVersion: string | undefined
  private resyncTimer: NodeJS.Timeout | undefined
  private loop: Promise<void> | undefined
  private isSynced = false
  /** When the API server last answered: a list, a watch opening, an event or a bookmark. */
  private lastContact = 0
  private readonly failures: FailureStreak

  constructor(private readonly options: InformerOptions<T>) {
    this.failures = new FailureStreak(options.log, { resource: this.what })
  }

  private get path(): string {
    const { apiVersion, plural, namespace } = this.options
    return resourcePath({ apiVersion, plural, namespace })
  }

  private get what(): string {
    return `${this.options.plural}${this.options.namespace ? ` in ${this.options.namespace}` : ''}`
  }

  get synced(): boolean {
    return this.isSynced
  }

  /** Synced, but nothing heard from the API server for longer than `livenessMs`. */
  get stalled(): boolean {
    const { livenessMs = 60_000, clock = Date.now } = this.options
    return this.isSynced && !this.stopping.signal.aborted && clock() - this.lastContact > livenessMs
  }

  private contact(): void {
    this.lastContact = (this.options.clock ?? Date.now)()
    this.failures.succeeded(`the API server answers again for ${this.what}`)
  }

  onChange(listener: (event: InformerEvent<T>) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get(key: string): T | undefined {
    return this.cache.get(key)
  }

  list(): T[] {
    return [...this.cache.values()]
  }

  /** Resolves once the first list is cached (retrying until it succeeds or `stop()`). */
  async start(): Promise<void> {
    if (this.loop) throw new Error(`informer for ${this.what} already started`)
    await this.retrying('list', () => this.relist())
    if (this.stopping.signal.aborted) return
    this.isSynced = true
    this.loop = this.watchForever()
    const { resyncMs = 0 } = this.options
    if (resyncMs > 0) {
      this.resyncTimer = setInterval(() => {
        for (const object of this.cache.values()) this.emit({ type: 'resync', object })
      }, resyncMs)
      this.resyncTimer.unref()
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort()
    clearInterval(this.resyncTimer)
    await this.loop
  }

  private transform(object: T): T {
    return this.options.transform ? this.options.transform(object) : object
  }

  private emit(event: InformerEvent<T>): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch (error) {
        this.options.log.error({ err: error, resource: this.options.plural }, 'informer handler failed')
      }
    }
  }

  /** Lists every page, replaces the cache, and emits the differences to the previous cache. */
  private async relist(): Promise<void> {
    const { rest, labelSelector, pageSize = 500 } = this.options
    const fresh = new Map<string, T>()
    let continueToken: string | undefined
    let listVersion: string | undefined
    do {
      const page = await rest.request<KubeList<T>>('GET', this.path, {
        query: { labelSelector, limit: pageSize, continue: continueToken },
      })
      // List items carry no apiVersion/kind; handlers expect whole objects, as watch events give.
      const kind = (page as { kind?: string }).kind?.replace(/List$/, '') ?? ''
      for (const item of page.items) {
        const object = this.transform({ ...item, apiVersion: this.options.apiVersion, kind } as T)
        fresh.set(objectKey(object), object)
      }
      continueToken = page.metadata.continue || undefined
      listVersion = page.metadata.resourceVersion
    } while (continueToken)
    this.contact()
    const previous = new Map(this.cache)
    this.cache.clear()
    for (const [key, object] of fresh) this.cache.set(key, object)
    this.resourceVersion = listVersion
    for (const [key, object] of fresh) {
      const old = previous.get(key)
      if (!old) this.emit({ type: 'added', object })
      else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) {
        this.emit({ type: 'updated', object, previous: old })
      }
    }
    for (const [key, object] of previous) if (!fresh.has(key)) this.emit({ type: 'deleted', object })
  }

  /** Runs `attempt` until it succeeds, backing off between failures; gives up only on stop. */
  private async retrying(what: string, attempt: () => Promise<void>): Promise<void> {
    const { initialMs = 500, maxMs = 30_000 } = this.options.backoff ?? {}
    for (let failures = 0; !this.stopping.signal.aborted; failures++) {
      try {
        await attempt()
        return
      } catch (error) {
        if (this.stopping.signal.aborted) return
        const delay = Math.min(maxMs, initialMs * 2 ** failures) * (0.5 + Math.random() / 2)
        this.failures.failed(error, `${what} of ${this.what} failed; retrying with backoff`, {
          retryInMs: Math.round(delay),
        })
        await sleep(delay, this.stopping.signal)
      }
    }
  }

  private async watchForever(): Promise<void> {
    const { rest, labelSelector, watchTimeoutSeconds = 45, livenessMs = 60_000 } = this.options
    while (!this.stopping.signal.aborted) {
      let needRelist = false
      await this.retrying('watch', async () => {
        if (needRelist) {
          await this.relist()
          needRelist = false
        }
        // Jitter spreads the renewals of many informers.
        const timeoutSeconds = Math.round(watchTimeoutSeconds * (0.9 + Math.random() / 5))
        try {
          await rest.watch(
            this.path,
            {
              labelSelector,
              resourceVersion: this.resourceVersion,
              allowWatchBookmarks: true,
              timeoutSeconds,
            },
            (event) => this.apply(event as WatchEvent<T>),
            { signal: this.stopping.signal, idleTimeoutMs: livenessMs, onOpen: () => this.contact() },
          )
        } catch (error) {
          if (isGone(error) || (error as { gone?: boolean }).gone) needRelist = true
          throw error
        }
      })
    }
  }

  private apply(event: WatchEvent<T>): void {
    if (event.type === 'ERROR') {
      const status = event.object as { code?: number; message?: string }
      throw Object.assign(new Error(`watch of ${this.what} ended: ${status.message ?? 'error'}`), {
        gone: status.code === 410,
      })
    }
    this.contact()
    const version = event.object.metadata?.resourceVersion
    if (version) this.resourceVersion = version
    if (event.type === 'BOOKMARK') return
    const object = this.transform(event.object as T)
    const key = objectKey(object)
    const previous = this.cache.get(key)
    if (event.type === 'DELETED') {
      this.cache.delete(key)
      this.emit({ type: 'deleted', object })
      return
    }
    this.cache.set(key, object)
    this.emit(previous ? { type: 'updated', object, previous } : { type: 'added', object })
  }
}

/** An Informer transform: the object without `metadata.managedFields`. */
export function withoutManagedFields<T extends KubeObject>(object: T): T {
  if (!('managedFields' in object.metadata)) return object
  const metadata: KubeObject['metadata'] & { managedFields?: unknown } = { ...object.metadata }
  delete metadata.managedFields
  return { ...object, metadata }
}
