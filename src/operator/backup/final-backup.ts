/**
 * The last backup before a delete. A Webspace or Database that a BackupSchedule backs up (with
 * spec.finalBackup, the default) carries the finalizer FINAL_BACKUP; when it is deleted, the
 * schedule takes one more Backup `<schedule>-final-<yyyymmddhhmm>` of what it backs up, and the
 * finalizer goes when that Backup finished (its outcome is the Backup's conditions, Event and
 * metric, as for any backup) — so the volume and the database are still there while it runs
 * (the Database's own finalizer waits for this one). No schedule naming it any more, or a
 * namespace that is itself being deleted (no Job can start there), lets it go at once. Reads the
 * caches; each pass ends in one kind of write. Keyed by `webspace:<namespace>/<name>` or
 * `database:<namespace>/<name>`.
 */
import type { Backup, BackupSchedule, Database, Webspace } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import type { ReconcileResult } from '../../kube/controller-builder.js'
import { kubeTime } from '../../kube/conditions.js'
import { controllerReference } from '../../kube/object.js'
import { MANAGED_BY } from '../customer/names.js'
import { DATABASES } from '../database/owned.js'
import { WEBSPACES } from '../webspace/owned.js'
import { isFinished } from './job-run.js'
import { BACKUPS, FINAL_BACKUP } from './owned.js'
import { SCHEDULE_LABEL } from './reconcile.js'

export type ProtectedKind = 'webspace' | 'database'

export interface FinalBackupCache {
  webspace(key: string): Webspace | undefined
  database(key: string): Database | undefined
  /** The schedules of a namespace. */
  schedulesIn(namespace: string): readonly BackupSchedule[]
  /** The Backups a schedule made, by `namespace/schedule`. */
  backups(scheduleKey: string): readonly Backup[]
  /** Whether the namespace (its Customer) is being deleted, or has no Customer. */
  terminating(namespace: string): boolean
}

export interface FinalBackupReconcilerOptions {
  readonly cache: FinalBackupCache
  readonly applier: Pick<Applier, 'create' | 'mergePatch'>
}

const FINAL_KEY = /^(webspace|database):(.+)$/

/** The queue key of a Webspace's or Database's final backup. */
export const finalBackupKey = (kind: ProtectedKind, key: string) => `${kind}:${key}`
export const parseFinalBackupKey = (key: string) => {
  const match = FINAL_KEY.exec(key)
  return match ? { kind: match[1] as ProtectedKind, key: match[2] ?? '' } : undefined
}

/** `<schedule>-final-<yyyymmddhhmm>` of the delete, in UTC: one per delete. */
export const finalBackupName = (schedule: string, deleted: Date) =>
  `${schedule}-final-${deleted.toISOString().slice(0, 16).replace(/[-T:]/g, '')}`

export class FinalBackupReconciler {
  constructor(private readonly options: FinalBackupReconcilerOptions) {}

  async reconcile(kind: ProtectedKind, key: string): Promise<ReconcileResult> {
    const { cache } = this.options
    const object = kind === 'webspace' ? cache.webspace(key) : cache.database(key)
    if (!object) return 'none'
    const namespace = object.metadata.namespace ?? ''
    const name = object.metadata.name
    // Only what holds something to back up: a volume, a database with its Secret.
    const backsUp =
      kind === 'webspace'
        ? Boolean((object as Webspace).spec.storage)
        : Boolean((object as Database).status?.secret)
    const schedule = cache
      .schedulesIn(namespace)
      .filter((s) => s.spec.finalBackup && !s.metadata.deletionTimestamp && s.spec[kind] === name && backsUp)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[0]
    const finalizers = object.metadata.finalizers ?? []
    const held = finalizers.includes(FINAL_BACKUP)
    const release = async () => {
      await this.options.applier.mergePatch(
        { ...(kind === 'webspace' ? WEBSPACES : DATABASES), namespace, name },
        {
          metadata: {
            resourceVersion: object.metadata.resourceVersion,
            finalizers: finalizers.filter((f) => f !== FINAL_BACKUP),
          },
        },
      )
      return 'finalizer-removed'
    }
    const deleted = object.metadata.deletionTimestamp
    if (!deleted) {
      if (schedule && !held) {
        await this.options.applier.mergePatch(
          { ...(kind === 'webspace' ? WEBSPACES : DATABASES), namespace, name },
          {
            metadata: {
              resourceVersion: object.metadata.resourceVersion,
              finalizers: [...finalizers, FINAL_BACKUP],
            },
          },
        )
        return 'finalizer-added'
      }
      if (!schedule && held) return release()
      return 'none'
    }
    if (!held) return 'none'
    if (!schedule || cache.terminating(namespace)) return release()
    const backupName = finalBackupName(schedule.metadata.name, new Date(deleted))
    const backup = cache
      .backups(`${namespace}/${schedule.metadata.name}`)
      .find((b) => b.metadata.name === backupName)
    if (backup) return isFinished(backup) ? release() : 'none'
    const { target, webspace, database } = schedule.spec
    await this.options.applier.create(
      { ...BACKUPS, namespace },
      {
        apiVersion: BACKUPS.apiVersion,
        kind: BACKUPS.kind,
        metadata: {
          name: backupName,
          namespace,
          labels: { ...MANAGED_BY, [SCHEDULE_LABEL]: schedule.metadata.name },
          annotations: {
            'hostplane.dev/final-backup-of': `${kind}/${name} deleted at ${kubeTime(new Date(deleted))}`,
          },
          ownerReferences: [controllerReference(schedule)],
        },
        spec: {
          ...(target ? { target } : {}),
          ...(webspace ? { webspace } : {}),
          ...(database ? { database } : {}),
        },
      },
    )
    return 'applied'
  }
}
