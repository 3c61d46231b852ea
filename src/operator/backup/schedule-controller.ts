/**
 * The BackupSchedule controller: informers on BackupSchedules and on the Backups they made (by the
 * schedule label); a change to a Backup requeues its schedule, and each schedule comes back by
 * itself at its next scheduled time. Metrics an alert can use: missed runs, and each schedule's
 * last success as a timestamp (`time() - … > 2 * 86400` is a day's backup missing).
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Backup, BackupSchedule } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { type Controller, ControllerBuilder } from '../../kube/controller-builder.js'
import type { EventRecorder } from '../../kube/events.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { CustomerNamespaces } from '../customer/by-namespace.js'
import { BACKUP_SCHEDULES, BACKUPS } from './owned.js'
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
  { missed: Counter; lastSuccess: Gauge<'namespace' | 'schedule'> }
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
  const schedules = builder.reconciles<BackupSchedule>(BACKUP_SCHEDULES)
  const scheduleKey = (backup: Backup) => {
    const name = backup.metadata.labels?.[SCHEDULE_LABEL]
    return name ? `${backup.metadata.namespace}/${name}` : undefined
  }
  const backups = builder.watches<Backup>(BACKUPS, { labelSelector: SCHEDULE_LABEL }, (event) => {
    const key = scheduleKey(event.object)
    if (key) builder.enqueue(key)
  })
  const { missed, lastSuccess } = scheduleMetrics(options.registry)
  const reconciler = new BackupScheduleReconciler({
    cache: {
      schedule: (key) => schedules.get(key),
      backups: (key) => backups.list().filter((backup) => scheduleKey(backup) === key),
    },
    applier: options.applier,
    events: options.events,
    countMissed: (runs) => missed.inc(runs),
    recordSuccess: (schedule, time) => {
      const labels = { namespace: schedule.metadata.namespace ?? '', schedule: schedule.metadata.name }
      if (time) lastSuccess.set(labels, time.getTime() / 1000)
      else lastSuccess.remove(labels)
    },
    clock: options.clock,
  })
  return builder.build({
    reconcile: async (key) => {
      const schedule = schedules.get(key)
      if (!schedule) {
        const [namespace = '', name = ''] = key.split('/')
        lastSuccess.remove({ namespace, schedule: name })
        return 'none'
      }
      if (customerSelector && !customers.of(schedule.metadata.namespace ?? '')) return 'none'
      return reconciler.reconcile(key)
    },
  })
}
