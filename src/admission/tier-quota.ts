/**
 * A Deployment in a customer namespace whose replicas × container limits exceed the namespace
 * quota is refused at once with a clear message (parameter: the namespace's own ResourceQuota),
 * instead of leaving pods that the quota refuses one by one.
 */
import type { Manifest } from '../kube/object.js'
import { CUSTOMER_LABEL, MANAGED_BY, QUOTA_NAME } from '../operator/customer/names.js'

export const QUOTA_POLICY_NAME = 'hostplane.dev-tier-quota'

export function renderTierQuotaPolicy(): Manifest[] {
  const labels = { ...MANAGED_BY }
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
  ]
}
