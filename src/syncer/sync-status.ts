/**
 * The part of a StaticSite's status the syncer owns (condition `Synced`, `lastSync`, `lastCommit`,
 * `revisions`, `webhookURL`, `lastHandledSyncRequest`), computed from the site and the outcome of a sync. Pure. `undefined` means the
 * status already says this, so nothing is written: an unchanged poll sends no request.
 */
import { isDeepStrictEqual } from 'node:util'
import type { Condition } from '../api/conditions.js'
import type { StaticSite } from '../api/resources.js'
import { MAX_SYNC_REQUEST_LENGTH } from '../api/staticsite.js'
import { SYNCED, SYNCED_REASONS } from './reasons.js'
import type { SyncResult } from './site-syncer.js'
import type { SyncError } from './sync-error.js'

export type SyncOutcome =
  { readonly ok: true; readonly result: SyncResult } | { readonly ok: false; readonly error: SyncError }

export interface SyncStatus {
  conditions: Condition[]
  lastSync?: string
  lastCommit?: string
  revisions?: { commit: string; publishedAt: string }[]
  webhookURL?: string
  lastHandledSyncRequest?: string
}

/** What the syncer reports besides the sync itself. */
export interface SyncReportExtras {
  /** The site's own webhook URL, when it has a webhook and the syncer knows its public URL. */
  readonly webhookURL?: string
  /** The `hostplane.dev/requested-sync` value this sync handled, if any. */
  readonly handledSyncRequest?: string
}

const MAX_DROPPED_LISTED = 5
const shortCommit = (commit: string) => commit.slice(0, 12)

/** Kubernetes timestamps have second precision. */
export const kubeTime = (date: Date) => date.toISOString().replace(/\.\d+Z$/, 'Z')

export function droppedSummary(result: SyncResult): string | undefined {
  if (result.dropped.length === 0) return undefined
  const listed = result.dropped
    .slice(0, MAX_DROPPED_LISTED)
    .map((d) => `${d.path} (${d.why})`)
    .join(', ')
  const more =
    result.dropped.length > MAX_DROPPED_LISTED
      ? ` and ${result.dropped.length - MAX_DROPPED_LISTED} more`
      : ''
  return `${result.dropped.length} entries not published: ${listed}${more}`
}

function syncedCondition(
  outcome: SyncOutcome,
  generation: number | undefined,
): Omit<Condition, 'lastTransitionTime'> {
  if (!outcome.ok)
    return {
      type: SYNCED,
      status: 'False',
      reason: outcome.error.reason,
      message: outcome.error.message,
      observedGeneration: generation,
    }
  const { result } = outcome
  const dropped = droppedSummary(result)
  return {
    type: SYNCED,
    status: 'True',
    reason: result.action === 'rolled-back' ? SYNCED_REASONS.RolledBack : SYNCED_REASONS.Published,
    message: `serving commit ${shortCommit(result.commit)}${dropped ? `; ${dropped}` : ''}`,
    observedGeneration: generation,
  }
}

/** The syncer's status fields as they are now on the object. */
export function currentSyncStatus(site: StaticSite): SyncStatus {
  const status = site.status ?? {}
  const synced = status.conditions?.find((c) => c.type === SYNCED)
  return {
    conditions: synced ? [synced] : [],
    lastSync: status.lastSync,
    lastCommit: status.lastCommit,
    revisions: status.revisions,
    webhookURL: status.webhookURL,
    lastHandledSyncRequest: status.lastHandledSyncRequest,
  }
}

export function desiredSyncStatus(
  site: StaticSite,
  outcome: SyncOutcome,
  now: Date,
  extras: SyncReportExtras = {},
): SyncStatus | undefined {
  const current = currentSyncStatus(site)
  const previous = current.conditions[0]
  const condition = syncedCondition(outcome, site.metadata.generation)
  // An unchanged poll keeps the message of the publish it confirms (with its dropped entries).
  const confirmsCurrent =
    outcome.ok &&
    outcome.result.action === 'unchanged' &&
    previous?.status === 'True' &&
    current.lastCommit === outcome.result.commit
  const next: SyncStatus = {
    conditions: [
      confirmsCurrent && previous
        ? { ...previous, observedGeneration: site.metadata.generation }
        : {
            ...condition,
            lastTransitionTime:
              previous && previous.status === condition.status ? previous.lastTransitionTime : kubeTime(now),
          },
    ],
    lastSync: current.lastSync,
    lastCommit: current.lastCommit,
    revisions: current.revisions,
    webhookURL: extras.webhookURL,
    lastHandledSyncRequest:
      extras.handledSyncRequest?.slice(0, MAX_SYNC_REQUEST_LENGTH) ?? current.lastHandledSyncRequest,
  }
  if (outcome.ok && !confirmsCurrent) {
    const { result } = outcome
    next.lastCommit = result.commit
    next.revisions = result.revisions.map((r) => ({ commit: r.commit, publishedAt: r.publishedAt }))
    if (result.action !== 'unchanged' || current.lastCommit !== result.commit) next.lastSync = kubeTime(now)
  }
  const withoutUndefined = JSON.parse(JSON.stringify(next)) as SyncStatus
  return isDeepStrictEqual(withoutUndefined, JSON.parse(JSON.stringify(current)))
    ? undefined
    : withoutUndefined
}
