/**
 * One BackupTarget made true in the system namespace: its repository proxy (Deployment, Service,
 * NetworkPolicy, owned by the target so they go with it) and the two Secrets its customers' keys
 * and token hashes live in (never deleted with it: a target recreated under the same name finds
 * its repositories' keys again). Status: the proxy's URL, how many customers have a repository
 * there, and Ready from the proxy's Deployment. Nothing is written when all is as desired.
 */
import type { BackupTarget } from '../../api/resources.js'
import type { Applier } from '../../kube/apply.js'
import { containsDesired } from '../../kube/apply.js'
import { conditionsUpToDate, type DesiredCondition, storedConditions } from '../../kube/conditions.js'
import type { ReconcileResult } from '../../kube/controller-builder.js'
import { type EventRecorder, recordConditionChanges } from '../../kube/events.js'
import type { KubeObject } from '../../kube/object.js'
import { renderBackupProxy } from '../backup-target/render-proxy.js'
import { CONDITION, TARGET_REASON } from './conditions.js'
import { BACKUP_TARGETS, proxyUrl, tokensSecretName } from './owned.js'
import type { RepositoryAccessKeeper } from './repository-access.js'

export interface BackupTargetCache {
  target(name: string): BackupTarget | undefined
  /** The proxy objects the target owns in the system namespace. */
  owned(name: string): readonly KubeObject[]
  /** The target's tokens Secret, for counting its customers. */
  tokens(name: string): { readonly data?: Readonly<Record<string, string>> } | undefined
}

export interface BackupTargetReconcilerOptions {
  readonly cache: BackupTargetCache
  readonly applier: Pick<Applier, 'converge' | 'applyStatus'>
  readonly events: Pick<EventRecorder, 'record'>
  readonly access: Pick<RepositoryAccessKeeper, 'ensureTargetSecrets'>
  readonly systemNamespace: string
  /** The hostplane image the proxy runs; undefined: no proxy (BackupsNotConfigured). */
  readonly image: string | undefined
  readonly clock?: () => Date
}

interface DeploymentStatus {
  readonly status?: { readonly availableReplicas?: number; readonly observedGeneration?: number }
}

export class BackupTargetReconciler {
  constructor(private readonly options: BackupTargetReconcilerOptions) {}

  async reconcile(name: string): Promise<ReconcileResult> {
    const { cache, image, systemNamespace, applier } = this.options
    const target = cache.target(name)
    if (!target || target.metadata.deletionTimestamp) return 'none'
    if (!image)
      return this.writeStatus(target, {
        type: CONDITION.Ready,
        status: 'False',
        reason: TARGET_REASON.BackupsNotConfigured,
        message: 'the operator runs without --backup-image, so it runs no repository proxy',
      })
    const wroteSecrets = await this.options.access.ensureTargetSecrets(name)
    const live = cache.owned(name)
    const desired = renderBackupProxy({
      target: name,
      owner: target,
      namespace: systemNamespace,
      image,
      s3: target.spec.s3,
      credentialsSecret: target.spec.credentialsSecretRef.name,
      tokensSecret: tokensSecretName(name),
    })
    const wrote = await applier.converge(desired, live)
    const deployment = live.find((o) => o.kind === 'Deployment') as
      (KubeObject & DeploymentStatus) | undefined
    const available = (deployment?.status?.availableReplicas ?? 0) > 0
    const step = await this.writeStatus(
      target,
      available
        ? {
            type: CONDITION.Ready,
            status: 'True',
            reason: TARGET_REASON.ProxyAvailable,
            message: `the repository proxy serves at ${proxyUrl(name, systemNamespace)}`,
          }
        : {
            type: CONDITION.Ready,
            status: 'False',
            reason: TARGET_REASON.ProxyUnavailable,
            message: `the repository proxy's Deployment has no available replica yet: see its Pods' events in ${systemNamespace}`,
          },
      Object.keys(cache.tokens(name)?.data ?? {}).length,
    )
    return wrote || wroteSecrets ? 'applied' : step
  }

  private async writeStatus(target: BackupTarget, condition: DesiredCondition, customers?: number) {
    const { applier, clock = () => new Date(), systemNamespace } = this.options
    const generation = target.metadata.generation
    const current = target.status
    const status = {
      observedGeneration: generation,
      proxy: proxyUrl(target.metadata.name, systemNamespace),
      ...(customers === undefined ? {} : { customers }),
    }
    if (conditionsUpToDate([condition], current?.conditions, generation) && containsDesired(current, status))
      return 'none'
    await applier.applyStatus(
      { ...BACKUP_TARGETS, name: target.metadata.name },
      {
        apiVersion: BACKUP_TARGETS.apiVersion,
        kind: BACKUP_TARGETS.kind,
        metadata: { name: target.metadata.name },
        status: {
          ...status,
          conditions: storedConditions([condition], current?.conditions, generation, clock()),
        },
      },
    )
    await recordConditionChanges(
      this.options.events,
      target,
      current?.conditions,
      [condition],
      [CONDITION.Ready],
    )
    return 'status'
  }
}
