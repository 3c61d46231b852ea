/**
 * Removes the repositories of Webspaces that are gone: when the directory sees a Webspace
 * deleted, at start, and every few minutes (what a failed removal or a deletion while the
 * gitserver was down left). A collection lists the volume, takes the repositories whose UID no
 * cached Webspace has (collection.ts), and removes only those that a fresh list of every
 * Webspace from the API server, with no label selector, does not name either: a cache that is
 * not synced yet (or has stalled) collects nothing, and neither a Webspace outside the
 * gitserver's `--selector` nor one the cache has not seen yet ever loses its repository.
 */
import { API_VERSION } from '../api/kind.js'
import type { Webspace } from '../api/resources.js'
import type { KubeList } from '../kube/object.js'
import { type KubeRest, resourcePath } from '../kube/rest.js'
import type { Logger } from '../ops/log.js'
import { orphanedUids } from './collection.js'
import type { Repositories } from './repositories.js'

export interface CollectorOptions {
  /** The UIDs of every Webspace in the cluster, asked now (listWebspaceUids). */
  readonly existingUids: () => Promise<ReadonlySet<string>>
  readonly repositories: Repositories
  /** The UIDs of the Webspaces the directory holds; undefined while its caches are not synced. */
  readonly liveUids: () => ReadonlySet<string> | undefined
  readonly log: Logger
}

export class RepositoryCollector {
  private running: Promise<void> | undefined
  private again = false
  /** Webspaces seen deleted and not collected yet, by UID, for the reason and the log line. */
  private readonly deleted = new Map<string, { namespace: string; name: string }>()

  constructor(private readonly options: CollectorOptions) {}

  /** A Webspace was deleted: collect its repository. */
  webspaceDeleted(webspace: { namespace: string; name: string; uid: string }): Promise<void> {
    this.deleted.set(webspace.uid, { namespace: webspace.namespace, name: webspace.name })
    return this.collect()
  }

  /** Runs a collection; a call during one runs another after it, so no deletion is missed. */
  collect(): Promise<void> {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = (async () => {
      do {
        this.again = false
        await this.collectNow().catch((error: unknown) =>
          this.options.log.warn({ err: error }, 'repository collection failed; retried at the next one'),
        )
      } while (this.again)
      this.running = undefined
    })()
    return this.running
  }

  private async collectNow(): Promise<void> {
    const { repositories, liveUids } = this.options
    await repositories.emptyTrash()
    const live = liveUids()
    if (!live) return
    const seenDeleted = new Map(this.deleted)
    const candidates = orphanedUids(await repositories.names(), live)
    if (candidates.length > 0) {
      const existing = await this.options.existingUids()
      for (const uid of candidates) {
        if (existing.has(uid)) continue
        const webspace = seenDeleted.get(uid)
        await repositories.remove(uid, { reason: webspace ? 'webspace_deleted' : 'orphaned', webspace })
      }
    }
    for (const uid of seenDeleted.keys()) this.deleted.delete(uid)
  }
}

/** The UIDs of every Webspace in the cluster, listed now (in pages), whatever the selector. */
export async function listWebspaceUids(rest: KubeRest): Promise<Set<string>> {
  const uids = new Set<string>()
  let continueToken: string | undefined
  do {
    const page = await rest.request<KubeList<Webspace>>(
      'GET',
      resourcePath({ apiVersion: API_VERSION, plural: 'webspaces' }),
      { query: { limit: 500, continue: continueToken } },
    )
    for (const item of page.items) if (item.metadata.uid) uids.add(item.metadata.uid)
    continueToken = page.metadata.continue || undefined
  } while (continueToken)
  return uids
}
