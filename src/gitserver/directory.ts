/**
 * The gitserver's view of the cluster, from informers: who owns each public key (claims.ts over
 * the Customers' sshKeys and every SshKey) and which repository each `<customer>/<webspace>`
 * names (Webspace UID, branch, push limit). It writes each SshKey's status (fingerprint and
 * Accepted) when it differs, and tells listeners when keys change, so sessions of a removed key
 * are closed, when a Webspace appears, so its repository is created, and when one is deleted,
 * so its repository is collected.
 */
import type { Size, Tier } from '../api/customer.js'
import type { Customer, SshKey, Webspace } from '../api/resources.js'
import type { Applier } from '../kube/apply.js'
import { conditionsUpToDate, storedConditions } from '../kube/conditions.js'
import { Informer, withoutManagedFields } from '../kube/informer.js'
import type { KubeRest } from '../kube/rest.js'
import type { Logger } from '../ops/log.js'
import { customerNamespace } from '../operator/customer/names.js'
import { CUSTOMERS } from '../operator/customer/owned.js'
import { WEBSPACES } from '../operator/webspace/owned.js'
import type { RepositoryEntry } from './access.js'
import { claimKeys, type KeyClaims, type KeyOwner } from './claims.js'
import { maxPushBytes } from './limits.js'
import { SSHKEYS } from './resources.js'

export interface DirectoryOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly log: Logger
  /** Lowers every tier's push limit, bytes. */
  readonly maxPushBytes?: number
  /** Only these Customers, Webspaces and SshKeys (tests sharing a cluster). */
  readonly labelSelector?: string
  readonly clock?: () => Date
}

export interface DeletedWebspace {
  readonly namespace: string
  readonly name: string
  readonly uid: string
}

const repositoryKey = (customer: string, webspace: string) => `${customer}/${webspace}`

export class Directory {
  private readonly customers: Informer<Customer>
  private readonly webspaces: Informer<Webspace>
  private readonly sshKeys: Informer<SshKey>
  private claims: KeyClaims = claimKeys([], [])
  private repositories = new Map<string, RepositoryEntry>()
  private readonly keyListeners = new Set<() => void>()
  private readonly repositoryListeners = new Set<(entry: RepositoryEntry) => void>()
  private readonly deletionListeners = new Set<(webspace: DeletedWebspace) => void>()
  private started = false
  private pending = false
  /** Status writes one after another, so two rebuilds never write the same status twice at once. */
  private statusWrites = Promise.resolve()

  constructor(private readonly options: DirectoryOptions) {
    const common = {
      rest: options.rest,
      log: options.log,
      labelSelector: options.labelSelector,
      transform: withoutManagedFields,
      resyncMs: 5 * 60_000,
    }
    this.customers = new Informer<Customer>({ ...common, ...CUSTOMERS })
    this.webspaces = new Informer<Webspace>({ ...common, ...WEBSPACES })
    this.sshKeys = new Informer<SshKey>({ ...common, ...SSHKEYS })
    for (const informer of [this.customers, this.webspaces, this.sshKeys])
      informer.onChange(() => this.schedule())
    this.webspaces.onChange(({ type, object }) => {
      const { uid, namespace = '', name } = object.metadata
      if (type !== 'deleted' || !uid) return
      for (const listener of this.deletionListeners) listener({ namespace, name, uid })
    })
  }

  /** Who owns the key with this fingerprint now; undefined when no current key has it. */
  owner(fingerprint: string): KeyOwner | undefined {
    return this.claims.owners.get(fingerprint)
  }

  repository(customer: string, webspace: string): RepositoryEntry | undefined {
    return this.repositories.get(repositoryKey(customer, webspace))
  }

  allRepositories(): RepositoryEntry[] {
    return [...this.repositories.values()]
  }

  /**
   * The UIDs of every cached Webspace (being deleted, or of no known Customer, too); undefined
   * until every cache is synced and while one has stalled, when the set could miss live ones.
   */
  webspaceUids(): ReadonlySet<string> | undefined {
    if (!this.ready) return undefined
    return new Set(this.webspaces.list().flatMap((w) => (w.metadata.uid ? [w.metadata.uid] : [])))
  }

  /** Called when a Webspace was deleted (gone from the API server, or from the selector's view). */
  onWebspaceDeleted(listener: (webspace: DeletedWebspace) => void): void {
    this.deletionListeners.add(listener)
  }

  /** Called after keys changed (added, removed, re-claimed). */
  onKeysChanged(listener: () => void): void {
    this.keyListeners.add(listener)
  }

  /** Called with every repository entry after each change, so missing repositories get created. */
  onRepository(listener: (entry: RepositoryEntry) => void): void {
    this.repositoryListeners.add(listener)
  }

  get ready(): boolean {
    return this.started && ![this.customers, this.webspaces, this.sshKeys].some((i) => i.stalled)
  }

  async start(): Promise<void> {
    await Promise.all([this.customers.start(), this.webspaces.start(), this.sshKeys.start()])
    this.started = true
    this.rebuild()
  }

  async stop(): Promise<void> {
    await Promise.all([this.customers.stop(), this.webspaces.stop(), this.sshKeys.stop()])
  }

  /** Coalesces a burst of informer events into one rebuild. */
  private schedule(): void {
    if (!this.started || this.pending) return
    this.pending = true
    queueMicrotask(() => {
      this.pending = false
      this.rebuild()
    })
  }

  private rebuild(): void {
    const customers = this.customers.list()
    const byNamespace = new Map(customers.map((c) => [customerNamespace(c), c]))
    this.claims = claimKeys(
      customers.map((c) => ({
        name: c.metadata.name,
        namespace: customerNamespace(c),
        createdAt: c.metadata.creationTimestamp ?? '',
        sshKeys: c.spec.sshKeys ?? [],
      })),
      this.sshKeys.list().map((k) => ({
        namespace: k.metadata.namespace ?? '',
        name: k.metadata.name,
        createdAt: k.metadata.creationTimestamp ?? '',
        publicKey: k.spec.publicKey,
      })),
    )
    for (const refused of this.claims.refusedCustomerKeys)
      this.options.log.debug(refused, 'a key of Customer sshKeys is not used')

    const repositories = new Map<string, RepositoryEntry>()
    for (const webspace of this.webspaces.list()) {
      const namespace = webspace.metadata.namespace ?? ''
      const customer = byNamespace.get(namespace)
      const uid = webspace.metadata.uid
      if (!customer || !uid || webspace.metadata.deletionTimestamp) continue
      const tier: Tier = customer.spec.tier
      const size: Size = customer.spec.size
      const entry: RepositoryEntry = {
        customer: customer.metadata.name,
        namespace,
        webspace: webspace.metadata.name,
        uid,
        branch: webspace.spec.git.branch,
        suspended: customer.spec.suspended,
        maxPushBytes: maxPushBytes(tier, size, this.options.maxPushBytes),
        tier,
        size,
      }
      repositories.set(repositoryKey(entry.customer, entry.webspace), entry)
    }
    this.repositories = repositories
    for (const listener of this.keyListeners) listener()
    for (const entry of repositories.values())
      for (const listener of this.repositoryListeners) listener(entry)
    this.statusWrites = this.statusWrites.then(() => this.writeStatuses())
  }

  /** Applies each SshKey's status where it differs; a failure is retried on the next change or resync. */
  private async writeStatuses(): Promise<void> {
    const now = (this.options.clock ?? (() => new Date()))()
    for (const key of this.sshKeys.list()) {
      const verdict = this.claims.sshKeys.get(`${key.metadata.namespace}/${key.metadata.name}`)
      if (!verdict) continue
      const generation = key.metadata.generation
      const desired = [verdict.condition]
      if (
        key.status?.fingerprint === verdict.fingerprint &&
        conditionsUpToDate(desired, key.status?.conditions, generation)
      )
        continue
      const ref = { ...SSHKEYS, namespace: key.metadata.namespace, name: key.metadata.name }
      await this.options.applier
        .applyStatus(ref, {
          apiVersion: SSHKEYS.apiVersion,
          kind: SSHKEYS.kind,
          metadata: { name: key.metadata.name, namespace: key.metadata.namespace },
          status: {
            ...(verdict.fingerprint ? { fingerprint: verdict.fingerprint } : {}),
            observedGeneration: generation,
            conditions: storedConditions(desired, key.status?.conditions, generation, now),
          },
        })
        .catch((error: unknown) =>
          this.options.log.warn(
            { err: error, sshKey: `${key.metadata.namespace}/${key.metadata.name}` },
            'could not write the SshKey status; retried on the next change',
          ),
        )
    }
  }
}
