/**
 * The Backup controller, for Backups and Restores (a restore is a backup Job the other way, in the
 * same one-Job-per-namespace turn): informers on both (all namespaces), their Jobs and Pods (by
 * the backup component label), BackupTargets, the namespaces' Customers, Webspaces and
 * Databases, and the target Secrets of the system namespace (by label); one work queue, a
 * Restore's key marked (owned.ts restoreKey). A change to anything a waiting Backup or Restore
 * may wait for requeues the unfinished ones of its namespace (or all of them, for a target);
 * finished ones are queued again only by their own changes.
 */
import { Counter, type Registry } from 'prom-client'
import type {
  Backup,
  BackupSchedule,
  BackupTarget,
  Database,
  Restore,
  Webspace,
} from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { type Controller, ControllerBuilder } from '../../kube/controller-builder.js'
import type { EventRecorder } from '../../kube/events.js'
import { objectKey } from '../../kube/object.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { CustomerNamespaces } from '../customer/by-namespace.js'
import { DATABASES } from '../database/owned.js'
import { tlsSecretReader } from '../staticsite/tls-secret-reader.js'
import { WEBSPACES } from '../webspace/owned.js'
import type { BackupJobSettings } from './job.js'
import {
  BACKUP_COMPONENT,
  BACKUP_SCHEDULES,
  BACKUP_TARGETS,
  BACKUPS,
  JOBS,
  PODS,
  RESTORES,
  RESTORE_LABEL,
  restoreKey,
  restoreOfKey,
  runOf,
  SCRATCH_LABEL,
  SECRETS,
  TARGET_LABEL,
} from './owned.js'
import { isFinished, type JobObject, type PodObject } from './job-run.js'
import { type BackupOutcome, BackupReconciler } from './reconcile.js'
import { type RestoreCache, type RestoreOutcome, RestoreReconciler } from './restore-reconcile.js'
import { RepositoryAccessKeeper } from './repository-access.js'

export interface BackupControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly log: Logger
  readonly registry: Registry
  readonly systemNamespace: string
  /** Undefined: Backups wait with BackupsNotConfigured. */
  readonly settings: BackupJobSettings | undefined
  /** @default 4 */
  readonly concurrency?: number
  /** @default 10 minutes */
  readonly resyncMs?: number
  /** Only Customers matching this label selector, and so only their Backups (tests). */
  readonly customerSelector?: string
  /** Only BackupTargets matching this label selector (tests). */
  readonly targetSelector?: string
  /** See BackupReconcilerOptions. */
  readonly retryMs?: number
  readonly pendingGraceMs?: number
}

const selector = (labels: Readonly<Record<string, string>>) =>
  Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',')

interface Counters {
  readonly backups: Counter<'outcome'>
  readonly restores: Counter<'kind' | 'outcome'>
}

/** One set per registry: the controllers are made again each time this replica leads. */
const countersByRegistry = new WeakMap<Registry, Counters>()
function countersOf(registry: Registry): Counters {
  let counters = countersByRegistry.get(registry)
  if (!counters) {
    counters = {
      backups: new Counter({
        name: 'hostplane_backups_finished_total',
        help: 'Backups finished, by outcome: succeeded, failed (the Job failed or never started), empty (no file or no table)',
        labelNames: ['outcome'],
        registers: [registry],
      }),
      restores: new Counter({
        name: 'hostplane_restores_finished_total',
        help: 'Restores finished, by kind (restore, or drill: restored into a throwaway place and checked) and outcome (succeeded, failed)',
        labelNames: ['kind', 'outcome'],
        registers: [registry],
      }),
    }
    countersByRegistry.set(registry, counters)
  }
  return counters
}

export function backupController(options: BackupControllerOptions): Controller {
  const { rest, log, concurrency = 4, resyncMs = 10 * 60_000, customerSelector, systemNamespace } = options
  const builder = new ControllerBuilder({
    name: 'backup',
    keyField: 'backup',
    rest,
    log,
    registry: options.registry,
    concurrency,
    resyncMs,
  })
  const customers = builder.cache(new CustomerNamespaces({ rest, labelSelector: customerSelector, log }))
  const backups = builder.reconciles<Backup>(BACKUPS, {
    onChange: (event) => {
      // The Restore whose `-before` Backup this is goes on once it finished, and a finished
      // Backup frees the namespace's one Job for whatever waits for it.
      const restore = event.object.metadata.labels?.[RESTORE_LABEL]
      if (restore) builder.enqueue(restoreKey(`${event.object.metadata.namespace}/${restore}`))
      if (isFinished(event.object)) inNamespace(event.object.metadata.namespace)()
    },
  })
  const restores = builder.watches<Restore>(RESTORES, {}, (event) =>
    builder.enqueue(restoreKey(objectKey(event.object))),
  )
  const unfinished = (matches: (run: Backup | Restore) => boolean) => {
    for (const backup of backups.list())
      if (!isFinished(backup) && matches(backup)) builder.enqueue(objectKey(backup))
    for (const restore of restores.list())
      if (!isFinished(restore) && matches(restore)) builder.enqueue(restoreKey(objectKey(restore)))
  }
  const inNamespace = (namespace: string | undefined) => () =>
    unfinished((run) => run.metadata.namespace === namespace)
  customers.onChange((namespace) => inNamespace(namespace)())
  const targets = builder.watches<BackupTarget>(
    BACKUP_TARGETS,
    { labelSelector: options.targetSelector },
    () => unfinished(() => true),
  )
  const webspaces = builder.watches<Webspace>(WEBSPACES, {}, (event) =>
    inNamespace(event.object.metadata.namespace)(),
  )
  const databases = builder.watches<Database>(DATABASES, {}, (event) => {
    inNamespace(event.object.metadata.namespace)()
    // A finished drill's scratch Database is deleted by its Restore's pass.
    const drill = event.object.metadata.labels?.[SCRATCH_LABEL]
    if (drill) builder.enqueue(restoreKey(`${event.object.metadata.namespace}/${drill}`))
  })
  const systemSecrets = builder.watches(
    SECRETS,
    { namespace: systemNamespace, labelSelector: TARGET_LABEL },
    () => unfinished(() => true),
  )
  const schedules = builder.watches<BackupSchedule>(BACKUP_SCHEDULES, {}, () => undefined)
  const componentSelector = selector(BACKUP_COMPONENT)
  const jobs = builder.owns([JOBS], { labelSelector: componentSelector, ownerOf: runOf })
  const pods = builder.owns([PODS], { labelSelector: componentSelector, ownerOf: runOf })
  const counters = countersOf(options.registry)
  const access = new RepositoryAccessKeeper({
    applier: options.applier,
    systemNamespace,
    systemSecret: (name) => systemSecrets.get(`${systemNamespace}/${name}`),
    readSecret: tlsSecretReader(rest),
  })
  const cache: RestoreCache = {
    backup: (key: string) => backups.get(key),
    restore: (key: string) => restores.get(key),
    job: (key) => jobs.get(key)[0] as JobObject | undefined,
    pods: (key) =>
      [...(pods.get(key) as PodObject[])].sort((a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''),
      ),
    jobsIn: (namespace: string) =>
      [
        ...backups.list().map((backup) => objectKey(backup)),
        ...restores.list().map((restore) => restoreKey(objectKey(restore))),
      ]
        .filter((key) => (restoreOfKey(key) ?? key).startsWith(`${namespace}/`))
        .flatMap((key) => jobs.get(key) as JobObject[]),
    schedule: (key) => schedules.get(key),
    targets: () => targets.list(),
    customerOf: (namespace) => customers.of(namespace),
    webspace: (key) => webspaces.get(key),
    database: (key: string) => databases.get(key),
  }
  const common = {
    applier: options.applier,
    events: options.events,
    access,
    settings: options.settings,
    retryMs: options.retryMs,
    pendingGraceMs: options.pendingGraceMs,
  }
  const backupReconciler = new BackupReconciler({
    ...common,
    cache,
    countOutcome: (outcome: BackupOutcome) => counters.backups.inc({ outcome }),
  })
  const restoreReconciler = new RestoreReconciler({
    ...common,
    cache,
    countOutcome: ({ kind, outcome }: RestoreOutcome) => counters.restores.inc({ kind, outcome }),
  })
  return builder.build({
    reconcile: async (key) => {
      const restore = restoreOfKey(key)
      const namespace = (restore ?? key).split('/')[0] ?? ''
      if (customerSelector && !customers.of(namespace)) return 'none'
      return restore ? restoreReconciler.reconcile(restore) : backupReconciler.reconcile(key)
    },
  })
}
