/**
 * A StaticSite or Webspace in a customer namespace may claim only domains under its Customer's
 * `spec.domains`, or its own default domain `<name>-<namespace>.<pagesDomain>`.
 *
 * One binding for all customers: its paramRef selects every Customer, so the API server evaluates
 * the policy once per Customer and the request must pass each evaluation. A Customer therefore
 * judges only the namespace it owns (the namespace's `hostplane.dev/customer` label) and passes
 * every other one. With no Customer at all the request is refused (`parameterNotFoundAction:
 * Deny`); the binding matches only customer namespaces, which exist only with their Customer.
 */
import type { Manifest } from '../kube/object.js'
import { CUSTOMER_LABEL } from '../operator/customer/names.js'
import { renderCustomerParamPolicy } from './customer-param-policy.js'
import { celString } from '../api/schema-kit.js'
import { celLabel } from './cel-label.js'

export const DOMAIN_POLICY_NAME = 'hostplane.dev-customer-domains'

export interface CustomerDomainsOptions {
  /** Each site or webspace may always use its own default domain, `<name>-<namespace>.<pagesDomain>`. */
  readonly pagesDomain: string
}

/**
 * The install setting leads the variables, alone, so a kustomize patch of one path
 * (`/spec/variables/0/expression`) changes it (docs/install.md).
 */
export const PAGES_DOMAIN_VARIABLE = 'pagesDomain'

export function renderCustomerDomainsPolicy({ pagesDomain }: CustomerDomainsOptions): Manifest[] {
  const ownDefault = `object.metadata.name + '-' + request.namespace + '.' + variables.${PAGES_DOMAIN_VARIABLE}`
  const allowed = `(d == ${ownDefault} || variables.allowed.exists(s, d == s || d.endsWith('.' + s)))`
  return renderCustomerParamPolicy({
    name: DOMAIN_POLICY_NAME,
    resources: ['staticsites', 'webspaces'],
    rules: {
      variables: [
        { name: PAGES_DOMAIN_VARIABLE, expression: celString(pagesDomain) },
        {
          name: 'mine',
          expression: `${celLabel('namespaceObject', CUSTOMER_LABEL)} == params.metadata.name`,
        },
        { name: 'allowed', expression: 'has(params.spec.domains) ? params.spec.domains : []' },
      ],
      validations: [
        {
          expression: `!variables.mine || !has(object.spec.domains) || object.spec.domains.all(d, ${allowed})`,
          messageExpression: `'spec.domains: ' + object.spec.domains.filter(d, !${allowed}).join(', ') + ' not allowed for customer ' + params.metadata.name + ': domains must be under ' + (size(variables.allowed) > 0 ? variables.allowed.join(', ') + ' or ' : '') + 'its own default domain ' + ${ownDefault} + ' (ask the platform operator to add the domain to the Customer)'`,
          reason: 'Forbidden',
        },
      ],
    },
    withoutCustomers: 'Deny',
    inCustomerNamespaces: true,
  })
}
