/**
 * Writes a customer's recent certificate orders (certificate-rate.ts) to its status before the
 * Certificate is written: a merge patch carrying the resourceVersion the decision read, so two
 * reconciles deciding on the same count cannot both record (the loser gets 409 and decides again).
 */
import type { CertificateOrder } from '../api/customer.js'
import type { Customer } from '../api/resources.js'
import type { Applier } from '../kube/apply.js'
import { customerRef } from './customer/owned.js'

export async function recordOrders(
  applier: Pick<Applier, 'mergePatch'>,
  customer: Customer,
  orders: readonly CertificateOrder[],
): Promise<void> {
  await applier.mergePatch(
    { ...customerRef(customer), subresource: 'status' },
    {
      metadata: { resourceVersion: customer.metadata.resourceVersion },
      status: { certificateOrders: orders },
    },
  )
}
