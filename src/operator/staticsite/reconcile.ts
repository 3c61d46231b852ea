/**
 * One StaticSite, made true. Reads only caches (informers), and with `tls.mode: secret` the
 * Secret the site names in its own namespace; each pass ends in at most one kind of write, and
 * the next watch event brings the site back for the next step:
 *   source gone → delete what was generated for it (orphans, deletes while the operator was down)
 *   being deleted → delete generated objects, then drop the finalizer
 *   no finalizer yet → add it
 *   otherwise → delete stale objects, apply changed ones, then the status if it changed. A write
 *     the API server refuses (a quota, a denying policy, an invalid object, missing RBAC) makes
 *     Routed False with the refusal's reason and is retried with backoff; until the retry is due
 *     (and while the site and its customer are unchanged) only the status is written.
 * Nothing is sent when the caches already hold the desired state.
 */
import type { Customer } from '../../api/resources.js'
import type { Logger } from '../../ops/log.js'
import type { Claim } from '../../domains/claims.js'
import { type Applier, containsDesired } from '../../kube/apply.js'
import { conditionsUpToDate, storedConditions } from '../../kube/conditions.js'
import { type EventRecorder, recordConditionChanges } from '../../kube/events.js'
import type { KubeObject } from '../../kube/object.js'
import { refusalOf } from '../../kube/refusal.js'
import type { RefusalBackoff } from '../../kube/refusal-backoff.js'
import { siteKey } from '../../api/site-key.js'
import type { OperatorConfig } from '../config.js'
import type { Issuance } from './certificate-readiness.js'
import { CONDITION, FINALIZER } from './conditions.js'
import { domainPolicy } from '../../domains/site-domains.js'
import { certificateName, GENERATED, tlsCopyName } from './generated.js'
import { objectRef } from '../../kube/manifest-path.js'
import { recordOrders } from '../record-orders.js'
import { planSite, siteClaim } from './plan.js'
import { siteRef, type StaticSite, STATICSITES } from './site.js'
import type { TlsSecretReader } from './tls-secret-reader.js'

/** What the reconciler reads: informer caches and the claim index. */
export interface SiteCache {
  site(key: string): StaticSite | undefined
  /** Every cached object labelled with this site key. */
  generated(siteKey: string): readonly KubeObject[]
  rivals(claim: Claim): readonly Claim[]
  /** Claims of every site and webspace of the namespace (the customer's domain limit). */
  neighbours(namespace: string): readonly Claim[]
  /** The Customer owning the namespace, if any (a suspended one takes the site offline). */
  customerOf(namespace: string): Customer | undefined
  /** cert-manager's objects of the newest issuance of Certificate `name`. */
  issuance(name: string): Issuance
}

export interface StaticSiteReconcilerOptions {
  readonly cache: SiteCache
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly config: OperatorConfig
  readonly log: Logger
  /** Reads the TLS Secret a site names in its own namespace (`tls.mode: secret`). */
  readonly readTlsSecret: TlsSecretReader
  /** Refused writes wait here for their retry. */
  readonly backoff: Pick<RefusalBackoff, 'holding' | 'refused' | 'clear'>
  readonly clock?: () => Date
}

/** Which write a pass made, for logs and tests. */
export type ReconcileStep =
  'none' | 'cleanup' | 'finalizer-removed' | 'finalizer-added' | 'order-recorded' | 'applied' | 'refused'

/** A step, and when a waiting certificate order makes the site due again. */
export type SiteReconcileResult =
  ReconcileStep | { readonly step: ReconcileStep; readonly requeueAfterMs: number }

/** Status conditions reported as Events when they change; Ready only repeats them. */
const EVENT_CONDITIONS: readonly string[] = [
  CONDITION.Routed,
  CONDITION.DomainClaimed,
  CONDITION.CertificateReady,
]
const MAX_RESOURCES = 64

export class StaticSiteReconciler {
  constructor(private readonly options: StaticSiteReconcilerOptions) {}

  async reconcile(key: string): Promise<SiteReconcileResult> {
    const { cache } = this.options
    const [namespace = '', name = ''] = key.split('/')
    const generated = cache.generated(siteKey(namespace, name))
    const site = cache.site(key)
    if (!site) {
      this.options.backoff.clear(key)
      return this.deleteAll(generated)
    }
    if (site.metadata.deletionTimestamp) {
      if (generated.length > 0) return this.deleteAll(generated)
      if (!site.metadata.finalizers?.includes(FINALIZER)) return 'none'
      await this.setFinalizers(
        site,
        (site.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
      )
      return 'finalizer-removed'
    }
    if (!site.metadata.finalizers?.includes(FINALIZER)) {
      await this.setFinalizers(site, [...(site.metadata.finalizers ?? []), FINALIZER])
      return 'finalizer-added'
    }
    return this.converge(site, generated)
  }

  private async deleteAll(objects: readonly KubeObject[]): Promise<ReconcileStep> {
    if (objects.length === 0) return 'none'
    await Promise.all(objects.map((object) => this.options.applier.delete(objectRef(object))))
    return 'cleanup'
  }

  private async setFinalizers(site: StaticSite, finalizers: string[]): Promise<void> {
    await this.options.applier.mergePatch(siteRef(site), {
      metadata: { resourceVersion: site.metadata.resourceVersion, finalizers },
    })
  }

  private async converge(site: StaticSite, generated: readonly KubeObject[]): Promise<SiteReconcileResult> {
    const { cache, applier, config, readTlsSecret, backoff, clock = () => new Date() } = this.options
    const namespace = site.metadata.namespace ?? ''
    const key = siteKey(namespace, site.metadata.name)
    const queueKey = `${namespace}/${site.metadata.name}`
    const customer = cache.customerOf(namespace)
    const { tls } = site.spec
    // A new spec or a changed customer (domains, suspension) may be admitted: retry at once.
    const fingerprint = () => `${site.metadata.generation}/${customer?.metadata.generation}`
    const claim = siteClaim(site, domainPolicy(config.pagesDomain, customer))
    const certificate = generated.find(
      (o) => o.kind === GENERATED.Certificate.kind && o.metadata.name === certificateName(key),
    )
    const inputs = {
      site,
      config,
      rivals: claim ? cache.rivals(claim) : [],
      neighbours: cache.neighbours(site.metadata.namespace ?? ''),
      certificate,
      issuance: cache.issuance(certificateName(key)),
      customer,
      ...(tls.mode === 'secret' && tls.secretName
        ? {
            tlsSecret: await readTlsSecret(namespace, tls.secretName),
            tlsCopy: generated.find(
              (o) => o.kind === GENERATED.Secret.kind && o.metadata.name === tlsCopyName(key),
            ),
          }
        : {}),
      now: clock(),
    }
    let plan = planSite({ ...inputs, refusal: backoff.holding(queueKey, fingerprint) })
    // Counted durably before the order is placed, so neither a crash nor a restart forgets it.
    if (plan.recordOrders && customer && !plan.refused) {
      await recordOrders(applier, customer, plan.recordOrders)
      return 'order-recorded'
    }
    const { retryAt } = plan
    const due = (step: ReconcileStep): SiteReconcileResult =>
      retryAt ? { step, requeueAfterMs: Math.max(0, retryAt.getTime() - clock().getTime()) } : step
    let wrote = false
    if (!plan.refused)
      try {
        wrote = await applier.converge(plan.objects, generated)
        backoff.clear(queueKey)
      } catch (error) {
        const refusal = refusalOf(error)
        if (!refusal) throw error
        backoff.refused(queueKey, fingerprint(), refusal)
        plan = planSite({ ...inputs, refusal })
      }

    const generation = site.metadata.generation
    const resources = plan.objects.slice(0, MAX_RESOURCES).map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.metadata.namespace,
      name: o.metadata.name,
    }))
    const current = site.status
    const statusUpToDate =
      conditionsUpToDate(plan.conditions, current?.conditions, generation) &&
      current?.observedGeneration === generation &&
      current?.url === plan.url &&
      containsDesired(current?.resources ?? [], resources)
    if (statusUpToDate) return due(wrote ? 'applied' : plan.refused ? 'refused' : 'none')

    const conditions = storedConditions(plan.conditions, current?.conditions, generation, clock())
    await applier.applyStatus(siteRef(site), {
      apiVersion: STATICSITES.apiVersion,
      kind: STATICSITES.kind,
      metadata: { name: site.metadata.name, namespace: site.metadata.namespace },
      status: {
        observedGeneration: generation,
        conditions,
        ...(plan.url ? { url: plan.url } : {}),
        resources,
      },
    })
    await recordConditionChanges(
      this.options.events,
      site,
      current?.conditions,
      plan.conditions,
      EVENT_CONDITIONS,
    )
    return due('applied')
  }
}
