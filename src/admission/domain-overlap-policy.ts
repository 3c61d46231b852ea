/**
 * The admission policy that refuses a Customer whose `spec.domains` overlap another Customer's
 * (src/domains/customer-overlap.ts has the rule), naming the other customer. CEL cannot list
 * objects, so the binding selects every Customer as a parameter: the API server evaluates the
 * policy once per Customer and the request passes only if every evaluation does (no Customer yet:
 * nothing to overlap, allowed). Allowed anyway:
 * - the Customer itself (an update is evaluated against its own stored copy too);
 * - either customer naming the other in `spec.domainOverlap.allowedWith` (an admin's decision);
 * - domains the Customer already had before this update, so an overlap stored before the policy
 *   existed does not block suspending or deleting the customer (the operator reports it as
 *   `DomainsExclusive=False`).
 * The parameters come from the API server's cache, so two overlapping Customers created within
 * the same moment may both pass; the operator's condition reports that case too.
 */
import type { Manifest } from '../kube/object.js'
import { renderCustomerParamPolicy } from './customer-param-policy.js'

export const DOMAIN_OVERLAP_POLICY_NAME = 'hostplane.dev-customer-domain-overlap'

const namesOther = (who: 'object' | 'params', other: 'object' | 'params') =>
  `(has(${who}.spec.domainOverlap) && ${other}.metadata.name in ${who}.spec.domainOverlap.allowedWith)`
const overlaps = (a: string, b: string) =>
  `(${a} == ${b} || ${a}.endsWith('.' + ${b}) || ${b}.endsWith('.' + ${a}))`

const VARIABLES = [
  { name: 'theirs', expression: 'has(params.spec.domains) ? params.spec.domains : []' },
  {
    name: 'before',
    expression: 'oldObject != null && has(oldObject.spec.domains) ? oldObject.spec.domains : []',
  },
  {
    name: 'allowed',
    expression: `params.metadata.name == object.metadata.name || ${namesOther('object', 'params')} || ${namesOther('params', 'object')}`,
  },
  {
    name: 'overlapping',
    expression: `has(object.spec.domains) ? object.spec.domains.filter(d, !(d in variables.before) && variables.theirs.exists(t, ${overlaps('d', 't')})) : []`,
  },
] as const

const VALIDATION = {
  expression: 'variables.allowed || size(variables.overlapping) == 0',
  messageExpression: `'spec.domains: ' + variables.overlapping.join(', ') + ' overlap the domains of customer ' + params.metadata.name + ' (' + variables.theirs.filter(t, variables.overlapping.exists(d, ${overlaps('d', 't')})).join(', ') + '): a domain and its subdomains belong to one customer; remove them, or, if the two customers share them on purpose, set spec.domainOverlap.allowedWith: [' + params.metadata.name + '] (then the oldest claim of each name decides which namespace serves it)'`,
  reason: 'Forbidden',
} as const

export const renderDomainOverlapPolicy = (): Manifest[] =>
  renderCustomerParamPolicy({
    name: DOMAIN_OVERLAP_POLICY_NAME,
    resources: ['customers'],
    rules: { variables: VARIABLES, validations: [VALIDATION] },
    // With no Customer there is nothing to overlap.
    withoutCustomers: 'Allow',
    inCustomerNamespaces: false,
  })
