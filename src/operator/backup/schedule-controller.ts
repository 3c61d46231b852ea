/**
 * The BackupSchedule controller: informers on BackupSchedules and on the Backups and drill
 * Restores they made (by the schedule label); a change to one requeues its schedule, and each
 * schedule comes back by itself at its next scheduled time. Metrics an alert can use: missed
 * runs, and each schedule's last success and last passed drill as timestamps (`time() - … > 2 *
 * 86400` is a day's backup missing).
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Backup, BackupSchedule, Database, Restore, Webspace } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { type Controller, ControllerBuilder } from '../../kube/controller-builder.js'
import type { EventRecorder } from '../../kube/events.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { CustomerNamespaces } from '../customer/by-namespace.js'
import { DATABASES } from '../database/owned.js'
import { WEBSPACES } from '../webspace/owned.js'
import {
  FinalBackupReconciler,
  finalBackupKey,
  parseFinalBackupKey,
  type ProtectedKind,
} from './final-backup.js'
import { BACKUP_SCHEDULES, BACKUPS, FINAL_BACKUP, RESTORES } from './owned.js'
import { SCHEDULE_LABEL } from './reconcile.js'
import { BackupScheduleReconciler } from './schedule-reconcile.js'

export interface BackupScheduleControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly log: Logger
  readonly registry: Registry
  /** @default 10 minutes */
  readonly resyncMs?: number
  /** Only Customers matching this label selector, and so only their schedules (tests). */
  readonly customerSelector?: string
  readonly clock?: () => Date
}

/** One set per registry: the controllers are made again each time this replica leads. */
const metricsByRegistry = new WeakMap<
  Registry,
  {
    missed: Counter
    lastSuccess: Gauge<'namespace' | 'schedule'>
    lastVerified: Gauge<'namespace' | 'schedule'>
  }
>()
function scheduleMetrics(registry: Registry) {
  let metrics = metricsByRegistry.get(registry)
  if (!metrics) {
    metrics = {
      missed: new Counter({
        name: 'hostplane_backup_schedule_missed_runs_total',
        help: 'Scheduled backup runs that did not run (the operator was down past the deadline, or the previous backup still ran)',
        registers: [registry],
      }),
      lastSuccess: new Gauge({
        name: 'hostplane_backup_schedule_last_success_timestamp_seconds',
        help: "When each BackupSchedule's newest successful Backup finished (absent until one did)",
        labelNames: ['namespace', 'schedule'],
        registers: [registry],
      }),
      lastVerified: new Gauge({
        name: 'hostplane_backup_schedule_last_verified_timestamp_seconds',
        help: "When each BackupSchedule's newest passed restore drill finished (absent until one did)",
        labelNames: ['namespace', 'schedule'],
        registers: [registry],
      }),
    }
    metricsByRegistry.set(registry, metrics)
  }
  return metrics
}

export function backupScheduleController(options: BackupScheduleControllerOptions): Controller {
  const { rest, log, resyncMs = 10 * 60_000, customerSelector } = options
  const builder = new ControllerBuilder({
    name: 'backup-schedule',
    keyField: 'backupSchedule',
    rest,
    log,
    registry: options.registry,
    concurrency: 4,
    resyncMs,
  })
  const customers = builder.cache(new CustomerNamespaces({ rest, labelSelector: customerSelector, log }))
  const schedules = builder.reconciles<BackupSchedule>(BACKUP_SCHEDULES, {
    // What it names (or named, when it is gone) may take or lose its final-backup finalizer.
    onChange: (event) => {
      const { namespace } = event.object.metadata
      for (const kind of ['webspace', 'database'] as const) {
        const name = event.object.spec[kind]
        if (name) builder.enqueue(finalBackupKey(kind, `${namespace}/${name}`))
      }
    },
  })
  // A Webspace or Database a schedule names, or that still holds the final-backup finalizer.
  const protect = (kind: ProtectedKind) => (event: { object: Webspace | Database }) => {
    const { namespace, name, finalizers } = event.object.metadata
    if (
      finalizers?.includes(FINAL_BACKUP) ||
      schedules.list().some((s) => s.metadata.namespace === namespace && s.spec[kind] === name)
    )
      builder.enqueue(finalBackupKey(kind, `${namespace}/${name}`))
  }
  const webspaces = builder.watches<Webspace>(WEBSPACES, {}, protect('webspace'))
  const databases = builder.watches<Database>(DATABASES, {}, protect('database'))

  const scheduleKey = (run: Backup | Restore) => {
    const name = run.metadata.labels?.[SCHEDULE_LABEL]
    return name ? `${run.metadata.namespace}/${name}` : undefined
  }
  const requeue = (event: { object: Backup | Restore }) => {
    const key = scheduleKey(event.object)
    if (key) builder.enqueue(key)
    // A final Backup that finished lets its Webspace or Database go.
    const { webspace, database } = event.object.spec as { webspace?: string; database?: string }
    const { namespace } = event.object.metadata
    if (webspace) builder.enqueue(finalBackupKey('webspace', `${namespace}/${webspace}`))
    if (database) builder.enqueue(finalBackupKey('database', `${namespace}/${database}`))
  }
  const backups = builder.watches<Backup>(BACKUPS, { labelSelector: SCHEDULE_LABEL }, requeue)
  const drills = builder.watches<Restore>(RESTORES, { labelSelector: SCHEDULE_LABEL }, requeue)
  const { missed, lastSuccess, lastVerified } = scheduleMetrics(options.registry)
  const gauge =
    (metric: Gauge<'namespace' | 'schedule'>) => (schedule: BackupSchedule, time: Date | undefined) => {
      const labels = { namespace: schedule.metadata.namespace ?? '', schedule: schedule.metadata.name }
      if (time) metric.set(labels, time.getTime() / 1000)
      else metric.remove(labels)
    }
  const reconciler = new BackupScheduleReconciler({
    cache: {
      schedule: (key) => schedules.get(key),
      backups: (key) => backups.list().filter((backup) => scheduleKey(backup) === key),
      drills: (key) => drills.list().filter((drill) => scheduleKey(drill) === key),
    },
    applier: options.applier,
    events: options.events,
    countMissed: (runs) => missed.inc(runs),
    recordSuccess: gauge(lastSuccess),
    recordVerified: gauge(lastVerified),
    clock: options.clock,
  })
  const finalBackups = new FinalBackupReconciler({
    cache: {
      webspace: (key) => webspaces.get(key),
      database: (key) => databases.get(key),
      schedulesIn: (namespace) => schedules.list().filter((s) => s.metadata.namespace === namespace),
      backups: (key) => backups.list().filter((backup) => scheduleKey(backup) === key),
      terminating: (namespace) => {
        const customer = customers.of(namespace)
        return !customer || Boolean(customer.metadata.deletionTimestamp)
      },
    },
    applier: options.applier,
  })
  return builder.build({
    reconcile: async (key) => {
      const final = parseFinalBackupKey(key)
      if (final) {
        if (customerSelector && !customers.of(final.key.split('/')[0] ?? '')) return 'none'
        return finalBackups.reconcile(final.kind, final.key)
      }
      const schedule = schedules.get(key)
      if (!schedule) {
        const [namespace = '', name = ''] = key.split('/')
        lastSuccess.remove({ namespace, schedule: name })
        lastVerified.remove({ namespace, schedule: name })
        return 'none'
      }
      if (customerSelector && !customers.of(schedule.metadata.namespace ?? '')) return 'none'
      return reconciler.reconcile(key)
    },
  })
}
