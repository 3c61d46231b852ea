/**
 * The Webspace controller: informers on Webspaces (all namespaces), Runtimes, Customers (to find
 * the one owning a namespace through status.namespace), the owned kinds (by the webspace
 * label) and Releases (by the webspace their spec names: a new one requeues it), the
 * domain-claim index it shares with the StaticSite controller, and a work queue running the
 * reconciler. A changed owned object (drift, a Deployment reporting progress)
 * requeues its webspace; a changed Runtime or Customer requeues the webspaces that use it; a
 * changed claim (of a webspace or a site) requeues the webspaces sharing its domains. A webspace
 * with `tls.mode: secret` is checked again every `tlsRecheckMs`, as its Secret is not watched.
 * A changed ResourceQuota requeues the refused webspaces of its namespace: a raised quota (or
 * freed usage) retries a refused write at once instead of at the end of its backoff.
 */
import type { Registry } from 'prom-client'
import type { Release, Runtime, Webspace } from '../../api/resources.js'
import { withoutManagedFields } from '../../kube/informer.js'
import { objectIdentity } from '../../kube/manifest-path.js'
import { ObjectIndex } from '../../kube/object-index.js'
import type { Applier } from '../../kube/apply.js'
import { type Controller, ControllerBuilder } from '../../kube/controller-builder.js'
import type { EventRecorder } from '../../kube/events.js'
import type { KubeObject } from '../../kube/object.js'
import { objectKey } from '../../kube/object.js'
import { RefusalBackoff, type RefusalBackoffTimes } from '../../kube/refusal-backoff.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { claimants } from '../claimants.js'
import { CustomerNamespaces } from '../customer/by-namespace.js'
import type { ClaimIndex } from '../staticsite/claim-index.js'
import { tlsSecretReader, withTlsRecheck } from '../staticsite/tls-secret-reader.js'
import { domainPolicy } from '../../domains/site-domains.js'
import {
  RELEASES,
  RUNTIMES,
  WEBSPACE_OWNED_KINDS,
  WEBSPACE_SELECTOR,
  WEBSPACES,
  webspaceOf,
} from './owned.js'
import { webspaceClaim } from './plan.js'
import { WebspaceReconciler } from './reconcile.js'
import type { WebspacePlanConfig } from './plan.js'

export interface WebspaceControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly events: Pick<EventRecorder, 'record'>
  readonly config: WebspacePlanConfig
  /** Domain claims, shared with the StaticSite controller. */
  readonly claims: ClaimIndex
  readonly log: Logger
  readonly registry: Registry
  /** @default 10 */
  readonly concurrency?: number
  /** Periodic full reconcile; @default 10 minutes */
  readonly resyncMs?: number
  /** Only Customers matching this label selector, and so only their webspaces (tests). */
  readonly customerSelector?: string
  /** How often a webspace with `tls.mode: secret` is checked again (see the StaticSite controller's). @default 5 minutes */
  readonly tlsRecheckMs?: number
  /** How long a refused write waits for its retry. */
  readonly refusalBackoff?: RefusalBackoffTimes
}

const RESOURCE_QUOTAS = { apiVersion: 'v1', plural: 'resourcequotas' }

export function webspaceController(options: WebspaceControllerOptions): Controller {
  const { rest, config, claims, log, concurrency = 10, resyncMs = 10 * 60_000, customerSelector } = options
  const builder = new ControllerBuilder({
    name: 'webspace',
    keyField: 'webspace',
    rest,
    log,
    registry: options.registry,
    concurrency,
    resyncMs,
  })
  const customers = builder.cache(new CustomerNamespaces({ rest, labelSelector: customerSelector, log }))
  const claimOf = (webspace: Webspace) =>
    webspaceClaim(webspace, domainPolicy(config.pagesDomain, customers.of(webspace.metadata.namespace ?? '')))
  const {
    informer: webspaces,
    gate,
    gateAfter,
  } = claimants<Webspace>(builder, {
    kind: 'Webspace',
    resource: WEBSPACES,
    claims,
    customers,
    claimOf,
  })
  const requeue = (matches: (webspace: Webspace) => boolean) => {
    for (const webspace of webspaces.list()) if (matches(webspace)) builder.enqueue(objectKey(webspace))
  }
  const runtimes = builder.watches<Runtime>(RUNTIMES, {}, (event) =>
    requeue((w) => w.spec.runtime === event.object.metadata.name),
  )
  const backoff = new RefusalBackoff({ ...options.refusalBackoff, retry: builder.enqueueAfter })
  // Only refused webspaces wait for a quota: the others would only be reconciled for nothing.
  const quotas = builder.watches<KubeObject>(RESOURCE_QUOTAS, {}, (event) =>
    requeue((w) => w.metadata.namespace === event.object.metadata.namespace && backoff.has(objectKey(w))),
  )
  const owned = builder.owns(WEBSPACE_OWNED_KINDS, { labelSelector: WEBSPACE_SELECTOR, ownerOf: webspaceOf })
  // Filed under the webspace their spec names (immutable), not a label anyone could change.
  const releases = new ObjectIndex(objectIdentity, (release) =>
    release.metadata.namespace
      ? `${release.metadata.namespace}/${(release as Release).spec.webspace}`
      : undefined,
  )
  builder.watches<Release>(RELEASES, { transform: withoutManagedFields }, (event) => {
    for (const key of releases.update(event)) builder.enqueue(key)
  })
  const reconciler = new WebspaceReconciler({
    cache: {
      webspace: (key) => webspaces.get(key),
      runtime: (name) => runtimes.get(name),
      customerOf: (namespace) => customers.of(namespace),
      owned: (key) => owned.get(key),
      releases: (namespace, name) => releases.get(`${namespace}/${name}`) as Release[],
      rivals: (claim) => claims.rivals(claim),
      neighbours: (namespace) => claims.inNamespace(namespace),
      quotaVersions: (namespace) =>
        quotas
          .list()
          .filter((q) => q.metadata.namespace === namespace)
          .map((q) => q.metadata.resourceVersion ?? ''),
    },
    applier: options.applier,
    events: options.events,
    config,
    readTlsSecret: tlsSecretReader(rest),
    backoff,
  })
  return builder.build({
    reconcile: async (key) => {
      // With a customer selector, webspaces outside the selected customers belong to another operator.
      const webspace = webspaces.get(key)
      if (customerSelector && webspace && !customers.of(webspace.metadata.namespace ?? '')) return 'none'
      return withTlsRecheck(await reconciler.reconcile(key), webspace, options.tlsRecheckMs)
    },
    gate,
    gateAfter,
  })
}
