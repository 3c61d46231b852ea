/**
 * The StaticSite controller: informers on StaticSites (all namespaces), on the generated kinds
 * (system namespace, by label; copies of sites' TLS Secrets among them) and on Customers (a
 * suspended one takes its sites offline), the
 * domain-claim index it shares with the Webspace controller, and a work queue running the
 * reconciler. Every event is turned into the key of the StaticSite it concerns: a changed
 * generated object (drift, a Certificate turning Ready, a hand edit) requeues every site it
 * belonged to before and after the change, by name, label and source annotations, so an object
 * moved to another site is restored by its owner and never mistaken by the other, a changed claim
 * (of a site or a webspace) requeues the sites sharing its domains, a changed Customer the sites
 * of its namespace. The queue starts only when every cache is synced and every kind's claims are
 * loaded, so the first pass over all keys also removes orphans (generated objects whose site is
 * gone) and never routes a domain an older claim holds.
 */
import type { Registry } from 'prom-client'
import type { Applier } from '../../kube/apply.js'
import { type Controller, ControllerBuilder } from '../../kube/controller-builder.js'
import { RefusalBackoff, type RefusalBackoffTimes } from '../../kube/refusal-backoff.js'
import type { EventRecorder } from '../../kube/events.js'
import { type KubeObject, objectKey } from '../../kube/object.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { claimants } from '../claimants.js'
import type { OperatorConfig } from '../config.js'
import { CustomerNamespaces } from '../customer/by-namespace.js'
import type { ClaimIndex } from './claim-index.js'
import { siteKey } from '../../api/site-key.js'
import { domainPolicy } from '../../domains/site-domains.js'
import { GENERATED, GENERATED_KINDS, GENERATED_SELECTOR, siteKeyOf, sourceOf } from './generated.js'
import { ISSUANCE_KINDS, IssuanceIndex, issuanceFields } from './issuances.js'
import { siteClaim } from './plan.js'
import { StaticSiteReconciler } from './reconcile.js'
import { type StaticSite, STATICSITES } from './site.js'
import { tlsSecretReader, withTlsRecheck } from './tls-secret-reader.js'

export interface StaticSiteControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly config: OperatorConfig
  /** Domain claims, shared with the Webspace controller. */
  readonly claims: ClaimIndex
  readonly log: Logger
  readonly registry: Registry
  /** @default 10 */
  readonly concurrency?: number
  /** Periodic full reconcile; @default 10 minutes */
  readonly resyncMs?: number
  /**
   * Only StaticSites matching this label selector (shards, tests). Each shard needs its own
   * system namespace: objects there whose site this controller does not see are orphans to it.
   */
  readonly siteSelector?: string
  /** Only Customers matching this label selector count (tests); see CustomerControllerOptions. */
  readonly customerSelector?: string
  /**
   * How often a site with `tls.mode: secret` is reconciled again: its Secret lives in a tenant
   * namespace the operator does not watch (tls-secret-reader.ts), and a certificate expires
   * without any event. @default 5 minutes
   */
  readonly tlsRecheckMs?: number
  /** How long a refused write waits for its retry. */
  readonly refusalBackoff?: RefusalBackoffTimes
}

export function staticSiteController(options: StaticSiteControllerOptions): Controller {
  const { rest, config, claims, log, concurrency = 10, resyncMs = 10 * 60_000 } = options
  const builder = new ControllerBuilder({
    name: 'staticsite',
    keyField: 'site',
    rest,
    log,
    registry: options.registry,
    concurrency,
    resyncMs,
  })
  const customers = builder.cache(
    new CustomerNamespaces({ rest, labelSelector: options.customerSelector, log }),
  )
  const claimOf = (site: StaticSite) =>
    siteClaim(site, domainPolicy(config.pagesDomain, customers.of(site.metadata.namespace ?? '')))
  const {
    informer: sites,
    gate,
    gateAfter,
  } = claimants<StaticSite>(builder, {
    kind: 'StaticSite',
    resource: STATICSITES,
    labelSelector: options.siteSelector,
    claims,
    customers,
    claimOf,
  })
  // `namespace/name` of each cached site, by site key: the sites a generated object concerns.
  const siteOfKey = new Map<string, string>()
  sites.onChange(({ type, object }) => {
    const key = siteKey(object.metadata.namespace ?? '', object.metadata.name)
    if (type === 'deleted') siteOfKey.delete(key)
    else siteOfKey.set(key, objectKey(object))
  })
  // Generated objects are filed by the site key their name carries. A change requeues every site
  // it belonged to before and after, by name, label and source annotations, so an object moved to
  // another site is restored by its owner and never mistaken by the other.
  const generated = builder.owns(GENERATED_KINDS, {
    namespace: config.systemNamespace,
    labelSelector: GENERATED_SELECTOR,
    ownerOf: siteKeyOf,
    requeue: (event, owners) => [
      ...owners.map((owner) => siteOfKey.get(owner)),
      ...[event.previous, event.object].map((version) => version && sourceOf(version)),
    ],
  })
  // cert-manager's CertificateRequests, Orders and Challenges say why a Certificate is not ready.
  const issuances = new IssuanceIndex()
  for (const kind of Object.values(ISSUANCE_KINDS))
    builder.watches<KubeObject>(
      kind,
      { namespace: config.systemNamespace, transform: issuanceFields },
      (event) => {
        issuances.update(event)
        const certificate = issuances.certificateOf(event.object)
        const source =
          certificate && generated.get(certificate).find((o) => o.kind === GENERATED.Certificate.kind)
        const key = source && sourceOf(source)
        if (key) builder.enqueue(key)
      },
    )
  const reconciler = new StaticSiteReconciler({
    cache: {
      site: (key) => sites.get(key),
      generated: (key) => generated.get(key),
      rivals: (claim) => claims.rivals(claim),
      neighbours: (namespace) => claims.inNamespace(namespace),
      customerOf: (namespace) => customers.of(namespace),
      issuance: (name) => issuances.of(name),
    },
    applier: options.applier,
    events: options.events,
    config,
    log,
    readTlsSecret: tlsSecretReader(rest),
    backoff: new RefusalBackoff({ ...options.refusalBackoff, retry: builder.enqueueAfter }),
  })
  return builder.build({
    reconcile: async (key) =>
      withTlsRecheck(await reconciler.reconcile(key), sites.get(key), options.tlsRecheckMs),
    gate,
    gateAfter,
  })
}
