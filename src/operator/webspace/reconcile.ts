/**
 * One Webspace, made true. Reads only caches, and with `tls.mode: secret` the Secret it names in
 * its namespace; ends in at most one kind of write:
 *   gone or being deleted → nothing (its objects carry owner references: the garbage collector
 *     removes them)
 *   a problem (no Customer, no Runtime, a size the tier does not offer) → status only; running
 *     objects are left alone until the input is fixed
 *   a refused write whose retry is not due (same spec, same customer, same quotas) → status only
 *   otherwise → delete objects it no longer needs (HPA/PDB off the dedicated tier, the route
 *     while suspended), apply changed ones, then the status if it changed. A write the API
 *     server refuses (a full ResourceQuota, the tier quota policy, another admission policy, an
 *     invalid object, missing RBAC) becomes the Deployed condition's reason, retried with backoff.
 * Changes of Deployed, DomainClaimed and CertificateReady are recorded as Events with the condition's reason, and
 * a failed apply as one ApplyFailed Event until Deployed changes.
 */
import type { Customer, Release, Runtime, Webspace } from '../../api/resources.js'
import { type Applier, containsDesired } from '../../kube/apply.js'
import { conditionsUpToDate, storedConditions } from '../../kube/conditions.js'
import { type EventRecorder, recordConditionChanges } from '../../kube/events.js'
import type { KubeObject } from '../../kube/object.js'
import { refusalOf } from '../../kube/refusal.js'
import type { RefusalBackoff } from '../../kube/refusal-backoff.js'
import type { Claim } from '../../domains/claims.js'
import { domainPolicy } from '../../domains/site-domains.js'
import { CONDITION, REASON } from './conditions.js'
import {
  type Deployment,
  planWebspace,
  type WebspacePlan,
  type WebspacePlanConfig,
  webspaceClaim,
} from './plan.js'
import { RELEASES, WEBSPACES } from './owned.js'
import { recordOrders } from '../record-orders.js'
import type { TlsSecretReader } from '../staticsite/tls-secret-reader.js'

export interface WebspaceCache {
  webspace(key: string): Webspace | undefined
  runtime(name: string): Runtime | undefined
  /** The Customer whose status.namespace is this namespace. */
  customerOf(namespace: string): Customer | undefined
  /** The Releases of its namespace built for this webspace (spec.webspace). */
  releases(namespace: string, webspace: string): readonly Release[]
  /** Every cached object labelled with this webspace. */
  owned(key: string): readonly KubeObject[]
  /** Claims of other StaticSites and Webspaces on the claim's domains. */
  rivals(claim: Claim): readonly Claim[]
  /** Claims of every site and webspace of the namespace (the customer's domain limit). */
  neighbours(namespace: string): readonly Claim[]
  /** The resourceVersions of the namespace's ResourceQuotas: a change may admit a refused write. */
  quotaVersions(namespace: string): readonly string[]
}

export interface WebspaceReconcilerOptions {
  readonly cache: WebspaceCache
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly config: WebspacePlanConfig
  /** Reads the TLS Secret a webspace names in its own namespace (`tls.mode: secret`). */
  readonly readTlsSecret: TlsSecretReader
  /** Refused writes wait here for their retry. */
  readonly backoff: Pick<RefusalBackoff, 'holding' | 'refused' | 'clear'>
  readonly clock?: () => Date
}

/** Status conditions reported as Events when they change; Ready only repeats them. */
const EVENT_CONDITIONS: readonly string[] = [
  CONDITION.Deployed,
  CONDITION.DomainClaimed,
  CONDITION.CertificateReady,
  CONDITION.Released,
]

export type WebspaceStep = 'none' | 'applied' | 'status' | 'refused' | 'order-recorded'

/** A step, and when a waiting certificate order makes the webspace due again. */
export type WebspaceReconcileResult =
  WebspaceStep | { readonly step: WebspaceStep; readonly requeueAfterMs: number }

/** The inputs a refusal depends on: a new spec, tier or quota may be admitted. */
const refusalInputs = (webspace: Webspace, customer: Customer | undefined, quotas: readonly string[]) =>
  [webspace.metadata.generation, customer?.metadata.generation, ...quotas].join('/')

export class WebspaceReconciler {
  constructor(private readonly options: WebspaceReconcilerOptions) {}

  async reconcile(key: string): Promise<WebspaceReconcileResult> {
    const { cache, config, readTlsSecret, backoff, clock = () => new Date() } = this.options
    const webspace = cache.webspace(key)
    if (!webspace || webspace.metadata.deletionTimestamp) {
      backoff.clear(key)
      return 'none'
    }
    const owned = cache.owned(key)
    const namespace = webspace.metadata.namespace ?? ''
    const customer = cache.customerOf(namespace)
    const claim = webspaceClaim(webspace, domainPolicy(config.pagesDomain, customer))
    const { tls } = webspace.spec
    const inputs = {
      webspace,
      runtime: cache.runtime(webspace.spec.runtime),
      customer,
      // Its own, not a branch preview's (preview.ts).
      deployment: owned.find((o) => o.kind === 'Deployment' && o.metadata.name === webspace.metadata.name) as
        Deployment | undefined,
      releases: cache.releases(namespace, webspace.metadata.name),
      certificate: owned.find((o) => o.kind === 'Certificate'),
      rivals: claim ? cache.rivals(claim) : [],
      neighbours: cache.neighbours(webspace.metadata.namespace ?? ''),
      config,
      ...(tls.mode === 'secret' && tls.secretName
        ? { tlsSecret: await readTlsSecret(webspace.metadata.namespace ?? '', tls.secretName) }
        : {}),
      now: clock(),
    }
    const fingerprint = () => refusalInputs(webspace, customer, cache.quotaVersions(namespace))
    const held = backoff.holding(key, fingerprint)
    const plan = planWebspace(inputs, held)
    if (!plan.objects) return (await this.writeStatus(webspace, plan)) ? 'status' : 'none'
    // Counted durably before the order is placed, so neither a crash nor a restart forgets it.
    if (plan.recordOrders && customer) {
      await recordOrders(this.options.applier, customer, plan.recordOrders)
      return 'order-recorded'
    }
    const { retryAt } = plan
    const due = (step: WebspaceStep): WebspaceReconcileResult =>
      retryAt ? { step, requeueAfterMs: Math.max(0, retryAt.getTime() - clock().getTime()) } : step
    let wrote: boolean
    try {
      wrote = await this.options.applier.converge(plan.objects, owned)
    } catch (error) {
      const refusal = refusalOf(error)
      if (!refusal) {
        await this.options.events.record(webspace, {
          type: 'Warning',
          reason: REASON.ApplyFailed,
          note: `applying the webspace's objects failed (retried with backoff): ${String(error)}`,
          action: 'Apply',
          // In Deployed's series: one Event while the failure lasts, again after Deployed changed.
          series: CONDITION.Deployed,
        })
        throw error
      }
      backoff.refused(key, fingerprint(), refusal)
      await this.writeStatus(webspace, planWebspace(inputs, refusal))
      return 'refused'
    }
    backoff.clear(key)
    // Old Releases go once the Deployment no longer runs them (the running and previous one stay).
    for (const release of plan.prune ?? [])
      await this.options.applier.delete({
        ...RELEASES,
        namespace: release.metadata.namespace,
        name: release.metadata.name,
      })
    if (await this.writeStatus(webspace, plan)) return due('applied')
    return due(wrote || (plan.prune ?? []).length > 0 ? 'applied' : 'none')
  }

  private async writeStatus(webspace: Webspace, plan: WebspacePlan): Promise<boolean> {
    const { applier, clock = () => new Date() } = this.options
    const generation = webspace.metadata.generation
    const current = webspace.status
    const status = {
      observedGeneration: generation,
      ...(plan.url ? { url: plan.url } : {}),
      ...(plan.image ? { image: plan.image } : {}),
      ...plan.counts,
      ...plan.rollout,
    }
    const { release, previousRelease, failedReleases } = plan.rollout
    if (
      conditionsUpToDate(plan.conditions, current?.conditions, generation) &&
      containsDesired(current, status) &&
      (plan.url !== undefined || current?.url === undefined) &&
      (plan.image !== undefined || current?.image === undefined) &&
      // Fields the apply drops when the plan leaves them out (a pruned or no longer running Release).
      (release !== undefined || current?.release === undefined) &&
      (previousRelease !== undefined || current?.previousRelease === undefined) &&
      (failedReleases !== undefined || current?.failedReleases === undefined)
    )
      return false
    await applier.applyStatus(
      { ...WEBSPACES, namespace: webspace.metadata.namespace, name: webspace.metadata.name },
      {
        apiVersion: WEBSPACES.apiVersion,
        kind: WEBSPACES.kind,
        metadata: { name: webspace.metadata.name, namespace: webspace.metadata.namespace },
        status: {
          ...status,
          conditions: storedConditions(plan.conditions, current?.conditions, generation, clock()),
        },
      },
    )
    await recordConditionChanges(
      this.options.events,
      webspace,
      current?.conditions,
      plan.conditions,
      EVENT_CONDITIONS,
    )
    return true
  }
}
