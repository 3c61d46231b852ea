/**
 * Every ValidatingAdmissionPolicy of hostplane with its binding (CEL, evaluated by the API server
 * itself: no webhook to run or secure). The install emits them (deploy/install/admission.ts); the
 * tests apply the same list (test/cluster/tenancy.ts). Pure.
 */
import type { Manifest } from '../kube/object.js'
import type { IssuerConfig } from '../operator/customer/cluster-issuers.js'
import { type CustomerDomainsOptions, renderCustomerDomainsPolicy } from './customer-domains.js'
import { renderDomainOverlapPolicy } from './domain-overlap-policy.js'
import { renderIssuerPolicy } from './issuer-policy.js'
import { type OperatorGuardOptions, renderOperatorGuard } from './operator-guard.js'
import { renderTierQuotaPolicy } from './tier-quota.js'

export type AdmissionOptions = CustomerDomainsOptions & IssuerConfig & OperatorGuardOptions

export const renderAdmissionPolicies = (options: AdmissionOptions): Manifest[] => [
  ...renderCustomerDomainsPolicy(options),
  ...renderDomainOverlapPolicy(),
  ...renderIssuerPolicy(options),
  ...renderTierQuotaPolicy(),
  ...renderOperatorGuard(options),
]
