/**
 * Customers by the namespace they own (`status.namespace`), for the controllers of what lives in
 * tenant namespaces (StaticSites, Webspaces): which Customer a namespace belongs to, and which
 * namespaces to requeue when a Customer changes (suspended, resumed, a tier change).
 */
import type { Customer } from '../../api/resources.js'
import { Informer, type InformerEvent } from '../../kube/informer.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { CUSTOMERS } from './owned.js'

export class CustomerNamespaces {
  private readonly informer: Informer<Customer>
  /** Namespace → customer name. */
  private readonly byNamespace = new Map<string, string>()

  /** `labelSelector`: only these Customers (tests); namespaces of others belong to no Customer. */
  constructor(options: { readonly rest: KubeRest; readonly labelSelector?: string; readonly log: Logger }) {
    this.informer = new Informer<Customer>({ ...options, ...CUSTOMERS })
    this.informer.onChange((event) => this.index(event))
  }

  /** The Customer owning the namespace, if any. */
  of(namespace: string): Customer | undefined {
    const name = this.byNamespace.get(namespace)
    return name === undefined ? undefined : this.informer.get(name)
  }

  /** Calls `listener` with the namespace of every Customer that changed (before and after). */
  onChange(listener: (namespace: string) => void): void {
    this.informer.onChange((event) => {
      const namespaces = new Set([event.previous?.status?.namespace, event.object.status?.namespace])
      for (const namespace of namespaces) if (namespace) listener(namespace)
    })
  }

  get stalled(): boolean {
    return this.informer.stalled
  }

  start(): Promise<void> {
    return this.informer.start()
  }

  stop(): Promise<void> {
    return this.informer.stop()
  }

  private index({ type, object, previous }: InformerEvent<Customer>): void {
    const name = object.metadata.name
    const before = previous?.status?.namespace
    if (before && this.byNamespace.get(before) === name) this.byNamespace.delete(before)
    const namespace = object.status?.namespace
    if (type !== 'deleted' && namespace) this.byNamespace.set(namespace, name)
    else if (namespace && this.byNamespace.get(namespace) === name) this.byNamespace.delete(namespace)
  }
}
