/**
 * A site's and a webspace's state in words, from the conditions the operator and the syncer
 * write (src/operator/staticsite/conditions.ts, src/operator/webspace/conditions.ts,
 * src/syncer/reasons.ts): what a customer asks first — is it routed, does it have a certificate,
 * when did it last sync, what was built last. A condition that is False says why in its own
 * message, which is what the customer has to act on. Pure.
 */
import type { Condition } from '../api/conditions.js'
import type { Backup, Release, StaticSite, Webspace } from '../api/resources.js'
import { findCondition } from '../kube/conditions.js'
import { CONDITION as BACKUP } from '../operator/backup/conditions.js'
import { CONDITION as SITE, REASON as SITE_REASON } from '../operator/staticsite/conditions.js'
import { CONDITION as WEBSPACE, REASON as WEBSPACE_REASON } from '../operator/webspace/conditions.js'

export type StatusState = 'ok' | 'pending' | 'problem'

export interface StatusWord {
  readonly state: StatusState
  readonly text: string
}

/** One condition in words: `ok` when True, its message when False, `pending` until it is written. */
export function conditionWord(
  conditions: readonly Condition[] | undefined,
  type: string,
  words: { readonly ok: string; readonly pending: string },
  generation?: number,
): StatusWord {
  const condition = findCondition(conditions, type)
  if (!condition || condition.status === 'Unknown')
    return { state: 'pending', text: condition?.message || words.pending }
  const stale =
    generation !== undefined &&
    condition.observedGeneration !== undefined &&
    condition.observedGeneration < generation
  if (stale) return { state: 'pending', text: words.pending }
  if (condition.status === 'True') return { state: 'ok', text: words.ok }
  return { state: 'problem', text: condition.message || condition.reason }
}

function certificateWord(conditions: readonly Condition[] | undefined, generation?: number): StatusWord {
  if (findCondition(conditions, SITE.CertificateReady)?.reason === SITE_REASON.TlsDisabled)
    return { state: 'ok', text: 'no certificate: TLS is off' }
  return conditionWord(
    conditions,
    SITE.CertificateReady,
    { ok: 'certificate ready', pending: 'waiting for a certificate' },
    generation,
  )
}

/** Ready, DomainClaimed and CertificateReady mean the same on a site and a webspace. */
function sharedWords(conditions: readonly Condition[] | undefined, generation: number | undefined) {
  return {
    ready: conditionWord(conditions, SITE.Ready, { ok: 'ready', pending: 'starting' }, generation),
    domain: conditionWord(
      conditions,
      SITE.DomainClaimed,
      { ok: 'domains claimed', pending: 'claiming domains' },
      generation,
    ),
    certificate: certificateWord(conditions, generation),
  }
}

export interface SiteStatusWords {
  readonly ready: StatusWord
  readonly routed: StatusWord
  readonly domain: StatusWord
  readonly certificate: StatusWord
  readonly sync: StatusWord
  readonly lastSync?: string
  readonly lastCommit?: string
}

export function siteStatusWords(site: Pick<StaticSite, 'metadata' | 'status'>): SiteStatusWords {
  const conditions = site.status?.conditions
  const generation = site.metadata.generation
  const commit = site.status?.lastCommit
  return {
    ...sharedWords(conditions, generation),
    routed: conditionWord(conditions, SITE.Routed, { ok: 'routed', pending: 'not routed yet' }, generation),
    sync: conditionWord(
      conditions,
      SITE.Synced,
      {
        ok: commit ? `published ${commit.slice(0, 12)}` : 'published',
        pending: 'waiting for the first sync',
      },
      generation,
    ),
    ...(site.status?.lastSync ? { lastSync: site.status.lastSync } : {}),
    ...(commit ? { lastCommit: commit } : {}),
  }
}

export interface LastBuild {
  readonly release: string
  readonly commit: string
  readonly branch: string
  readonly builtAt?: string
}

export interface WebspaceStatusWords {
  readonly ready: StatusWord
  readonly deployed: StatusWord
  readonly domain: StatusWord
  readonly certificate: StatusWord
  readonly release: StatusWord
  readonly running?: string
  readonly lastBuild?: LastBuild
}

/** The newest of a webspace's Releases: its last successful build. */
export function lastBuild(releases: readonly Release[]): LastBuild | undefined {
  const newest = [...releases].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  )[0]
  if (!newest) return undefined
  return {
    release: newest.metadata.name,
    commit: newest.spec.commit,
    branch: newest.spec.branch,
    ...(newest.metadata.creationTimestamp ? { builtAt: newest.metadata.creationTimestamp } : {}),
  }
}

export function webspaceStatusWords(
  webspace: Pick<Webspace, 'metadata' | 'status'>,
  releases: readonly Release[] = [],
): WebspaceStatusWords {
  const conditions = webspace.status?.conditions
  const generation = webspace.metadata.generation
  const running = webspace.status?.release
  const released = findCondition(conditions, WEBSPACE.Released)
  const build = lastBuild(releases)
  return {
    ...sharedWords(conditions, generation),
    deployed: conditionWord(
      conditions,
      WEBSPACE.Deployed,
      { ok: 'deployed', pending: 'not deployed yet' },
      generation,
    ),
    release:
      released?.reason === WEBSPACE_REASON.RolledBack
        ? { state: 'problem', text: released.message || 'rolled back' }
        : conditionWord(
            conditions,
            WEBSPACE.Released,
            { ok: running ? `running ${running}` : 'running', pending: 'no release yet' },
            generation,
          ),
    ...(running ? { running } : {}),
    ...(build ? { lastBuild: build } : {}),
  }
}

/**
 * A Backup's state in words, from its phase: a failed one says why in its Ready condition's
 * message (src/operator/backup/conditions.ts), which is what the customer has to act on.
 */
export function backupStatusWord(backup: Pick<Backup, 'status'>): StatusWord {
  const { phase, conditions } = backup.status ?? {}
  switch (phase) {
    case 'Succeeded':
      return { state: 'ok', text: 'backed up' }
    case 'Running':
      return { state: 'pending', text: 'backing up now' }
    case 'Failed': {
      const said = findCondition(conditions, BACKUP.Ready)
      return { state: 'problem', text: said?.message || said?.reason || 'failed' }
    }
    default:
      return { state: 'pending', text: 'waiting to start' }
  }
}
