/**
 * The ValidatingAdmissionPolicies of hostplane and their bindings (src/admission/policies.ts):
 * customer domains, tier quota, the operator guard and the build Pods' shapes. They are part of
 * the install, not applied by the operator, which holds no rights on admission policies; the guard
 * names the operator's ServiceAccount, and the pages domain, the issuers and the build images are
 * fixed here, so all come from the install.
 */
import { Construct } from 'constructs'
import { renderAdmissionPolicies } from '../../src/admission/policies.js'
import { emit } from './manifest-files.js'
import type { InstallOptions } from './options.js'
import type { ServiceAccounts } from './rbac.js'

export class AdmissionPolicies extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions; accounts: ServiceAccounts }) {
    super(scope, id)
    const policies = renderAdmissionPolicies({
      pagesDomain: props.options.pagesDomain,
      defaultIssuer: props.options.issuers.default,
      tenantClusterIssuers: [...props.options.issuers.tenant],
      systemNamespace: props.options.namespace,
      serviceAccounts: props.accounts,
      buildImages: props.options.builds.images,
    })
    for (const policy of policies) emit(this, policy)
  }
}
