/**
 * The admission policy that refuses a StaticSite or Webspace in a customer namespace whose
 * `tls.clusterIssuer` is not one its Customer may use (src/operator/customer/cluster-issuers.ts has the rule): the
 * platform default, the platform-wide tenant issuers, and the Customer's own
 * `spec.clusterIssuers`. Issuers meant for the platform only (internal CAs, another ACME
 * account) stay out of tenants' reach. The binding selects every Customer as a parameter and each
 * evaluation judges only the namespace that Customer owns (its `hostplane.dev/customer` label), so one binding
 * serves all customers. It applies only when the issuer is set and new or changed: an object
 * stored before keeps being updatable (the operator's finalizer, a tenant fixing other fields),
 * and the operator reports it as `IssuerNotAllowed`.
 */
import { celString } from '../api/schema-kit.js'
import type { Manifest } from '../kube/object.js'
import { type IssuerConfig, platformIssuers } from '../operator/customer/cluster-issuers.js'
import { CUSTOMER_LABEL } from '../operator/customer/names.js'
import { celLabel } from './cel-label.js'
import { renderCustomerParamPolicy } from './customer-param-policy.js'

export const ISSUER_POLICY_NAME = 'hostplane.dev-tenant-cluster-issuers'

const issuerOf = (object: 'object' | 'oldObject') => `${object}.spec.tls.clusterIssuer`
const ISSUER = issuerOf('object')

/**
 * The install settings lead the variables, one each, so a kustomize patch of
 * `/spec/variables/0/expression` (the default) or `/spec/variables/1/expression` (the list) changes
 * them (docs/install.md).
 */
export const ISSUER_VARIABLES = { default: 'defaultIssuer', tenant: 'tenantClusterIssuers' } as const

export function renderIssuerPolicy(config: IssuerConfig): Manifest[] {
  const tenantIssuers = platformIssuers(config).filter((issuer) => issuer !== config.defaultIssuer)
  const platform = `([variables.${ISSUER_VARIABLES.default}] + variables.${ISSUER_VARIABLES.tenant}.filter(i, i != variables.${ISSUER_VARIABLES.default}))`
  return renderCustomerParamPolicy({
    name: ISSUER_POLICY_NAME,
    resources: ['staticsites', 'webspaces'],
    rules: {
      matchConditions: [
        { name: 'names-an-issuer', expression: `has(object.spec.tls) && has(${ISSUER})` },
        {
          name: 'issuer-new-or-changed',
          expression: `oldObject == null || !has(oldObject.spec.tls) || !has(${issuerOf('oldObject')}) || ${issuerOf('oldObject')} != ${ISSUER}`,
        },
      ],
      variables: [
        { name: ISSUER_VARIABLES.default, expression: celString(config.defaultIssuer) },
        { name: ISSUER_VARIABLES.tenant, expression: `[${tenantIssuers.map(celString).join(', ')}]` },
        {
          name: 'owner',
          expression: `${celLabel('namespaceObject', CUSTOMER_LABEL)} == params.metadata.name`,
        },
        {
          name: 'allowed',
          expression: `${platform} + (has(params.spec.clusterIssuers) ? params.spec.clusterIssuers.filter(i, !(i in ${platform})) : [])`,
        },
      ],
      validations: [
        {
          expression: `!variables.owner || ${ISSUER} in variables.allowed`,
          messageExpression: `'spec.tls.clusterIssuer: ' + ${ISSUER} + ' is not allowed for customer ' + params.metadata.name + ': use one of ' + variables.allowed.join(', ') + ', or leave it out for the platform default ' + variables.${ISSUER_VARIABLES.default} + ' (ask the platform operator to add an issuer to the Customer\\'s spec.clusterIssuers)'`,
          reason: 'Forbidden',
        },
      ],
    },
    withoutCustomers: 'Allow',
    inCustomerNamespaces: true,
  })
}
