/**
 * Every ValidatingAdmissionPolicy of hostplane with its binding (CEL, evaluated by the API server
 * itself: no webhook to run or secure). The install emits them (deploy/install/admission.ts); the
 * tests apply the same list (test/cluster/tenancy.ts). Pure.
 */
import type { Manifest } from '../kube/object.js'
import { BUILD_NAMESPACE, type BuildImages, DEFAULT_BUILD_IMAGES } from '../build/jobs/settings.js'
import { renderBuildPodPolicies } from './build-pods.js'
import type { IssuerConfig } from '../operator/customer/cluster-issuers.js'
import { type CustomerDomainsOptions, renderCustomerDomainsPolicy } from './customer-domains.js'
import { renderDomainOverlapPolicy } from './domain-overlap-policy.js'
import { renderIssuerPolicy } from './issuer-policy.js'
import { type OperatorGuardOptions, renderOperatorGuard } from './operator-guard.js'
import { renderTierQuotaPolicy } from './tier-quota.js'

export type AdmissionOptions = CustomerDomainsOptions &
  IssuerConfig &
  OperatorGuardOptions & {
    /** The build Pods' images. @default DEFAULT_BUILD_IMAGES */
    readonly buildImages?: BuildImages
  }

export const renderAdmissionPolicies = (options: AdmissionOptions): Manifest[] => [
  ...renderCustomerDomainsPolicy(options),
  ...renderDomainOverlapPolicy(),
  ...renderIssuerPolicy(options),
  ...renderTierQuotaPolicy(),
  ...renderOperatorGuard(options),
  ...renderBuildPodPolicies({
    namespace: BUILD_NAMESPACE,
    images: options.buildImages ?? DEFAULT_BUILD_IMAGES,
  }),
]
