/**
 * The BackupTarget controller: informers on BackupTargets, the proxy objects they own in the
 * system namespace and the target Secrets there (all by the target label); a change to any of
 * them requeues its target.
 */
import type { Registry } from 'prom-client'
import type { BackupTarget } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { type Controller, ControllerBuilder } from '../../kube/controller-builder.js'
import type { EventRecorder } from '../../kube/events.js'
import type { KubeObject } from '../../kube/object.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { NETWORK_POLICIES } from '../database/owned.js'
import { tlsSecretReader } from '../staticsite/tls-secret-reader.js'
import { BACKUP_TARGETS, SECRETS, TARGET_LABEL, tokensSecretName } from './owned.js'
import { RepositoryAccessKeeper } from './repository-access.js'
import { BackupTargetReconciler } from './target-reconcile.js'

const DEPLOYMENTS = { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' } as const
const SERVICES = { apiVersion: 'v1', kind: 'Service', plural: 'services' } as const

export interface BackupTargetControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly log: Logger
  readonly registry: Registry
  readonly systemNamespace: string
  readonly image: string | undefined
  /** @default 10 minutes */
  readonly resyncMs?: number
  /** Only BackupTargets matching this label selector (tests). */
  readonly targetSelector?: string
}

const targetOf = (object: KubeObject) => object.metadata.labels?.[TARGET_LABEL]

export function backupTargetController(options: BackupTargetControllerOptions): Controller {
  const { rest, log, systemNamespace, resyncMs = 10 * 60_000 } = options
  const builder = new ControllerBuilder({
    name: 'backup-target',
    keyField: 'backupTarget',
    rest,
    log,
    registry: options.registry,
    concurrency: 2,
    resyncMs,
  })
  const targets = builder.reconciles<BackupTarget>(BACKUP_TARGETS, { labelSelector: options.targetSelector })
  const owned = builder.owns([DEPLOYMENTS, SERVICES, NETWORK_POLICIES], {
    namespace: systemNamespace,
    labelSelector: TARGET_LABEL,
    ownerOf: targetOf,
  })
  const secrets = builder.watches(
    SECRETS,
    { namespace: systemNamespace, labelSelector: TARGET_LABEL },
    (event) => {
      const target = targetOf(event.object)
      if (target) builder.enqueue(target)
    },
  )
  const systemSecret = (name: string) => secrets.get(`${systemNamespace}/${name}`)
  const reconciler = new BackupTargetReconciler({
    cache: {
      target: (name) => targets.get(name),
      owned: (name) => owned.get(name),
      tokens: (name) => systemSecret(tokensSecretName(name)) as { data?: Record<string, string> } | undefined,
    },
    applier: options.applier,
    events: options.events,
    access: new RepositoryAccessKeeper({
      applier: options.applier,
      systemNamespace,
      systemSecret,
      readSecret: tlsSecretReader(rest),
    }),
    systemNamespace,
    image: options.image,
  })
  return builder.build({ reconcile: (name) => reconciler.reconcile(name) })
}
