/**
 * Admission policies (CEL, evaluated by the API server itself: no webhook to run or secure) that
 * refuse what the operator would otherwise only flag after the fact:
 * - a StaticSite or Webspace in a customer namespace claiming a domain outside the customer's
 *   `spec.domains` (bound once per customer, with the Customer as parameter);
 * - a Customer whose domains overlap another's without an admin's override (./domain-overlap-policy.ts);
 * - a StaticSite or Webspace naming a ClusterIssuer its Customer may not use (./issuer-policy.ts);
 * - a Deployment in a customer namespace whose replicas × container limits exceed the namespace
 *   quota (parameter: the namespace's own ResourceQuota), so an oversized app fails with a clear
 *   message at once instead of leaving pods that the quota refuses one by one.
 * Pure: rendered from the operator's configuration and applied at startup.
 */
import { GROUP, VERSION } from '../../api/kind.js'
import { celString } from '../../api/schema-kit.js'
import type { ObjectRef } from '../../kube/apply.js'
import type { Manifest } from '../../kube/object.js'
import type { OperatorConfig } from '../config.js'
import type { IssuerConfig } from './cluster-issuers.js'
import { renderDomainOverlapPolicy } from './domain-overlap-policy.js'
import { renderIssuerPolicy } from './issuer-policy.js'
import { CUSTOMER_LABEL, DOMAIN_POLICY_NAME, MANAGED_BY, QUOTA_NAME, QUOTA_POLICY_NAME } from './names.js'

/** `pagesDomain`: each site or webspace may always use its own default domain, `<name>-<namespace>.<pagesDomain>`. */
export type AdmissionPolicyConfig = Pick<OperatorConfig, 'pagesDomain'> & IssuerConfig

export function renderAdmissionPolicies(config: AdmissionPolicyConfig): Manifest[] {
  const { pagesDomain } = config
  const labels = { ...MANAGED_BY }
  const ownDefault = `object.metadata.name + '-' + request.namespace + '.' + ${celString(pagesDomain)}`
  const containerSum = (resource: 'cpu' | 'memory') =>
    `object.spec.template.spec.containers.map(c, has(c.resources) && has(c.resources.limits) && '${resource}' in c.resources.limits ? quantity(string(c.resources.limits['${resource}'])).asApproximateFloat() : 0.0).sum()`
  const withinQuota = (resource: 'cpu' | 'memory') => ({
    expression: `!('limits.${resource}' in params.spec.hard) || double(variables.replicas) * variables.${resource} <= quantity(string(params.spec.hard['limits.${resource}'])).asApproximateFloat()`,
    messageExpression: `'spec.replicas × ${resource} limit per replica exceeds the namespace quota limits.${resource} of ' + string(params.spec.hard['limits.${resource}']) + ': use fewer replicas or a smaller size, or move the customer to a larger size'`,
    reason: 'Forbidden',
  })
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: DOMAIN_POLICY_NAME, labels },
      spec: {
        failurePolicy: 'Fail',
        paramKind: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Customer' },
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [GROUP],
              apiVersions: [VERSION],
              operations: ['CREATE', 'UPDATE'],
              resources: ['staticsites', 'webspaces'],
            },
          ],
        },
        variables: [{ name: 'allowed', expression: 'has(params.spec.domains) ? params.spec.domains : []' }],
        validations: [
          {
            expression: `!has(object.spec.domains) || object.spec.domains.all(d, d == ${ownDefault} || variables.allowed.exists(s, d == s || d.endsWith('.' + s)))`,
            messageExpression: `'spec.domains: ' + object.spec.domains.filter(d, !(d == ${ownDefault} || variables.allowed.exists(s, d == s || d.endsWith('.' + s)))).join(', ') + ' not allowed for customer ' + params.metadata.name + ': domains must be under ' + (size(variables.allowed) > 0 ? variables.allowed.join(', ') + ' or ' : '') + 'its own default domain ' + ${ownDefault} + ' (ask the platform operator to add the domain to the Customer)'`,
            reason: 'Forbidden',
          },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: QUOTA_POLICY_NAME, labels },
      spec: {
        failurePolicy: 'Fail',
        paramKind: { apiVersion: 'v1', kind: 'ResourceQuota' },
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ['apps'],
              apiVersions: ['v1'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['deployments'],
            },
          ],
        },
        variables: [
          { name: 'replicas', expression: 'has(object.spec.replicas) ? object.spec.replicas : 1' },
          { name: 'cpu', expression: containerSum('cpu') },
          { name: 'memory', expression: containerSum('memory') },
        ],
        validations: [withinQuota('cpu'), withinQuota('memory')],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: QUOTA_POLICY_NAME, labels },
      spec: {
        policyName: QUOTA_POLICY_NAME,
        validationActions: ['Deny'],
        // The quota of the Deployment's own namespace; namespaces without one are not limited here.
        paramRef: { name: QUOTA_NAME, parameterNotFoundAction: 'Allow' },
        matchResources: {
          namespaceSelector: { matchExpressions: [{ key: CUSTOMER_LABEL, operator: 'Exists' }] },
        },
      },
    },
    ...renderDomainOverlapPolicy(),
    ...renderIssuerPolicy(config),
  ]
}

/** Where a rendered policy or binding lives (both are cluster-scoped). */
export const admissionRef = (object: Manifest): ObjectRef => ({
  apiVersion: object.apiVersion,
  plural:
    object.kind === 'ValidatingAdmissionPolicy'
      ? 'validatingadmissionpolicies'
      : 'validatingadmissionpolicybindings',
  name: object.metadata.name,
})
