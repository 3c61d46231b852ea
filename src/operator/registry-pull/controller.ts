/**
 * The registry pull controller: with a tenants' registry, every Customer's namespace holds the
 * pull Secret its Webspaces' Deployments name (pull-secret.ts). It watches Customers only;
 * the Secrets are read one by one when their customer is reconciled (see reconcile.ts).
 */
import type { Registry } from 'prom-client'
import type { Customer } from '../../api/resources.js'
import type { PullTicketSigner } from '../../build/registry/pull-ticket.js'
import type { Applier } from '../../kube/apply.js'
import { type Controller, ControllerBuilder } from '../../kube/controller-builder.js'
import type { KubeRest } from '../../kube/rest.js'
import type { Logger } from '../../ops/log.js'
import { CUSTOMERS } from '../customer/owned.js'
import { pullSecretReader, PullSecretReconciler } from './reconcile.js'

export interface RegistryPullControllerOptions {
  readonly rest: KubeRest
  readonly applier: Applier
  readonly log: Logger
  readonly registry: Registry
  /** host[:port] of the tenants' registry. */
  readonly tenantRegistry: string
  readonly signer: PullTicketSigner
  /** @default PULL_SECRET_RECHECK_MS */
  readonly recheckMs?: number
  /** @default 10 minutes */
  readonly resyncMs?: number
  /** Only Customers matching this label selector (tests). */
  readonly customerSelector?: string
}

export function registryPullController(options: RegistryPullControllerOptions): Controller {
  const { rest, log, resyncMs = 10 * 60_000 } = options
  const builder = new ControllerBuilder({
    name: 'registry-pull',
    keyField: 'customer',
    rest,
    log,
    registry: options.registry,
    concurrency: 2,
    resyncMs,
  })
  const customers = builder.reconciles<Customer>(CUSTOMERS, { labelSelector: options.customerSelector })
  const reconciler = new PullSecretReconciler({
    customer: (name) => customers.get(name),
    read: pullSecretReader(rest),
    applier: options.applier,
    registry: options.tenantRegistry,
    signer: options.signer,
    recheckMs: options.recheckMs,
  })
  return builder.build({ reconcile: (name) => reconciler.reconcile(name) })
}
