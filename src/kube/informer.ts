/**
 * A list-watch cache of one resource, the base of every controller. It lists (in pages), then
 * watches from the list's resourceVersion with bookmarks, and never gives up: any error restarts
 * the watch after a capped exponential backoff, and a 410 Gone (the version fell out of etcd's
 * history) relists and reports what changed meanwhile. Handlers receive every change and, every
 * `resyncMs`, a `resync` event per cached object so periodic reconciles need no timer of their own.
 */
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

export interface InformerOptions {
  readonly rest: KubeRest
  readonly apiVersion: string
  readonly plural: string
  /** Only this namespace; default all namespaces. */
  readonly namespace?: string
  readonly labelSelector?: string
  /** Emit `resync` for every cached object this often; 0 disables. */
  readonly resyncMs?: number
  readonly log: Logger
  /** Server-side watch timeout; the watch is renewed afterwards. Default 5 minutes. */
  readonly watchTimeoutSeconds?: number
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number }
  readonly pageSize?: number
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

  constructor(private readonly options: InformerOptions) {}

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
        const object = { ...item, apiVersion: this.options.apiVersion, kind } as T
        fresh.set(objectKey(object), object)
      }
      continueToken = page.metadata.continue || undefined
      listVersion = page.metadata.resourceVersion
    } while (continueToken)
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
        this.options.log.warn(
          { err: error, resource: this.what, retryInMs: Math.round(delay) },
          `${what} of ${this.what} failed; retrying`,
        )
        await sleep(delay, this.stopping.signal)
      }
    }
  }

  private async watchForever(): Promise<void> {
    const { rest, labelSelector, watchTimeoutSeconds = 300 } = this.options
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
            { signal: this.stopping.signal, idleTimeoutMs: (timeoutSeconds + 30) * 1000 },
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
    const version = event.object.metadata?.resourceVersion
    if (version) this.resourceVersion = version
    if (event.type === 'BOOKMARK') return
    const object = event.object as T
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
