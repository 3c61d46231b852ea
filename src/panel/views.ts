/**
 * What the API answers for each object: the spec as the customer wrote it, the status in words
 * (status-words.ts) and nothing of the machinery (managed fields, owner references, finalizers).
 * Pure.
 */
import type { Backup, Release, SshKey, StaticSite, Webspace } from '../api/resources.js'
import type { DownloadPart } from '../backup/download.js'
import { SCHEDULE_LABEL } from '../operator/backup/reconcile.js'
import { ACCEPTED } from '../gitserver/conditions.js'
import type { KubeObject } from '../kube/object.js'
import type { Actor } from './identity.js'
import type { ActorView, BackupView, ReleaseView, SiteView, SshKeyView, WebspaceView } from './schemas.js'
import { backupStatusWord, conditionWord, siteStatusWords, webspaceStatusWords } from './status-words.js'

const objectFields = ({ metadata }: KubeObject) => ({
  name: metadata.name,
  ...(metadata.creationTimestamp ? { createdAt: metadata.creationTimestamp } : {}),
  resourceVersion: metadata.resourceVersion ?? '',
})

export const siteView = (site: StaticSite): SiteView => ({
  ...objectFields(site),
  ...(site.status?.url ? { url: site.status.url } : {}),
  spec: site.spec,
  status: { ...siteStatusWords(site), revisions: site.status?.revisions ?? [] },
})

export const webspaceView = (webspace: Webspace, releases: readonly Release[] = []): WebspaceView => ({
  ...objectFields(webspace),
  ...(webspace.status?.url ? { url: webspace.status.url } : {}),
  spec: webspace.spec,
  status: webspaceStatusWords(webspace, releases),
})

export const releaseView = (release: Release, running: string | undefined): ReleaseView => ({
  ...objectFields(release),
  webspace: release.spec.webspace,
  branch: release.spec.branch,
  commit: release.spec.commit,
  image: release.spec.image,
  strategy: release.spec.strategy,
  pushedBy: { fingerprint: release.spec.pushedBy.fingerprint, key: release.spec.pushedBy.key },
  buildLog: release.spec.buildLog.lines ?? [],
  running: release.metadata.name === running,
})

export const sshKeyView = (key: SshKey): SshKeyView => ({
  ...objectFields(key),
  publicKey: key.spec.publicKey,
  ...(key.spec.title ? { title: key.spec.title } : {}),
  ...(key.status?.fingerprint ? { fingerprint: key.status.fingerprint } : {}),
  accepted: conditionWord(key.status?.conditions, ACCEPTED, {
    ok: 'accepted',
    pending: 'waiting for the gitserver',
  }),
})

export const backupView = (backup: Backup): BackupView => {
  const { status, spec, metadata } = backup
  const takenAt = status?.completionTime ?? status?.startTime
  const schedule = metadata.labels?.[SCHEDULE_LABEL]
  const downloads: DownloadPart[] =
    status?.phase === 'Succeeded'
      ? [...(status.files ? ['files' as const] : []), ...(status.database ? ['database' as const] : [])]
      : []
  return {
    ...objectFields(backup),
    ...(spec.webspace ? { webspace: spec.webspace } : {}),
    ...(spec.database ? { database: spec.database } : {}),
    ...(schedule ? { schedule } : {}),
    ...(status?.phase ? { phase: status.phase } : {}),
    state: backupStatusWord(backup),
    ...(takenAt ? { takenAt } : {}),
    ...(status?.files ? { files: { files: status.files.files, bytes: status.files.bytes } } : {}),
    ...(status?.database ? { tables: { tables: status.database.tables, rows: status.database.rows } } : {}),
    downloads,
  }
}

/** Who the caller is, as /me and act-as answer it. */
export const actorView = (actor: Actor): ActorView => ({
  id: actor.id,
  method: actor.method,
  admin: actor.admin,
  ...(actor.email !== undefined ? { email: actor.email } : {}),
  ...(actor.customer !== undefined ? { customer: actor.customer } : {}),
})
