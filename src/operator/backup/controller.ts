/**
 * The Backup controller: informers on Backups (all namespaces), their Jobs and Pods (by the
 * backup component label), BackupTargets, the namespaces' Customers, Webspaces and Databases, and
 * the target Secrets of the system namespace (by label); a work queue running the reconciler. A
 * change to anything a waiting Backup may wait for requeues the unfinished Backups of its
 * namespace (or all of them, for a target); finished Backups are never queued for work again.
 */
import { Counter, type Registry } from 'prom-client'
import type { Backup, BackupSchedule, BackupTarget, Database, Webspace } from '../../api/resources.js'
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
  backupOf,
  BACKUPS,
  JOBS,
  PODS,
  SECRETS,
  TARGET_LABEL,
} from './owned.js'
import { type BackupOutcome, BackupReconciler, type JobObject, type PodObject } from './reconcile.js'
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

/** One counter per registry: the controllers are made again each time this replica leads. */
const outcomeCounters = new WeakMap<Registry, Counter<'outcome'>>()
function outcomeCounter(registry: Registry): Counter<'outcome'> {
  let counter = outcomeCounters.get(registry)
  if (!counter) {
    counter = new Counter({
      name: 'hostplane_backups_finished_total',
      help: 'Backups finished, by outcome: succeeded, failed (the Job failed or never started), empty (no file or no table)',
      labelNames: ['outcome'],
      registers: [registry],
    })
    outcomeCounters.set(registry, counter)
  }
  return counter
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
  const backups = builder.reconciles<Backup>(BACKUPS)
  const unfinished = (matches: (backup: Backup) => boolean) => {
    for (const backup of backups.list()) {
      const phase = backup.status?.phase
      if (phase !== 'Succeeded' && phase !== 'Failed' && matches(backup)) builder.enqueue(objectKey(backup))
    }
  }
  const inNamespace = (namespace: string | undefined) => () =>
    unfinished((backup) => backup.metadata.namespace === namespace)
  customers.onChange((namespace) => inNamespace(namespace)())
  const targets = builder.watches<BackupTarget>(
    BACKUP_TARGETS,
    { labelSelector: options.targetSelector },
    () => unfinished(() => true),
  )
  const webspaces = builder.watches<Webspace>(WEBSPACES, {}, (event) =>
    inNamespace(event.object.metadata.namespace)(),
  )
  const databases = builder.watches<Database>(DATABASES, {}, (event) =>
    inNamespace(event.object.metadata.namespace)(),
  )
  const systemSecrets = builder.watches(
    SECRETS,
    { namespace: systemNamespace, labelSelector: TARGET_LABEL },
    () => unfinished(() => true),
  )
  const schedules = builder.watches<BackupSchedule>(BACKUP_SCHEDULES, {}, () => undefined)
  const componentSelector = selector(BACKUP_COMPONENT)
  const jobs = builder.owns([JOBS], { labelSelector: componentSelector, ownerOf: backupOf })
  const pods = builder.owns([PODS], { labelSelector: componentSelector, ownerOf: backupOf })
  const outcomes = outcomeCounter(options.registry)
  const access = new RepositoryAccessKeeper({
    applier: options.applier,
    systemNamespace,
    systemSecret: (name) => systemSecrets.get(`${systemNamespace}/${name}`),
    readSecret: tlsSecretReader(rest),
  })
  const reconciler = new BackupReconciler({
    cache: {
      backup: (key) => backups.get(key),
      job: (key) => jobs.get(key)[0] as JobObject | undefined,
      pods: (key) =>
        [...(pods.get(key) as PodObject[])].sort((a, b) =>
          (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''),
        ),
      jobsIn: (namespace) =>
        backups
          .list()
          .filter((backup) => backup.metadata.namespace === namespace)
          .flatMap((backup) => jobs.get(objectKey(backup)) as JobObject[]),
      schedule: (key) => schedules.get(key),
      targets: () => targets.list(),
      customerOf: (namespace) => customers.of(namespace),
      webspace: (key) => webspaces.get(key),
      database: (key) => databases.get(key),
    },
    applier: options.applier,
    events: options.events,
    access,
    settings: options.settings,
    countOutcome: (outcome: BackupOutcome) => outcomes.inc({ outcome }),
    retryMs: options.retryMs,
    pendingGraceMs: options.pendingGraceMs,
  })
  return builder.build({
    reconcile: async (key) => {
      const backup = backups.get(key)
      if (customerSelector && backup && !customers.of(backup.metadata.namespace ?? '')) return 'none'
      return reconciler.reconcile(key)
    },
  })
}
