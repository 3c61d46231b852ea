/**
 * The shape the customer policies share: a policy on writes of hostplane resources with the
 * Customer as parameter, and one binding whose paramRef selects every Customer. The API server
 * evaluates the policy once per Customer and the write passes only if every evaluation does, so
 * each policy's CEL judges what concerns its own parameter and passes the rest. Pure.
 */
import { GROUP, VERSION } from '../api/kind.js'
import type { Manifest } from '../kube/object.js'
import { CUSTOMER_LABEL, MANAGED_BY } from '../operator/customer/names.js'

export interface CustomerParamPolicy {
  readonly name: string
  /** hostplane.dev resources whose creates and updates the policy judges. */
  readonly resources: readonly string[]
  /** matchConditions, variables and validations of the policy. */
  readonly rules: Record<string, unknown>
  /** With no Customer at all: `Allow` or `Deny` the write. */
  readonly withoutCustomers: 'Allow' | 'Deny'
  /** Bind only writes in customer namespaces (namespaces with the customer label). */
  readonly inCustomerNamespaces: boolean
}

export function renderCustomerParamPolicy(policy: CustomerParamPolicy): Manifest[] {
  const { name } = policy
  const labels = { ...MANAGED_BY }
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, labels },
      spec: {
        failurePolicy: 'Fail',
        paramKind: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Customer' },
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [GROUP],
              apiVersions: [VERSION],
              operations: ['CREATE', 'UPDATE'],
              resources: policy.resources,
            },
          ],
        },
        ...policy.rules,
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name, labels },
      spec: {
        policyName: name,
        validationActions: ['Deny'],
        paramRef: { selector: {}, parameterNotFoundAction: policy.withoutCustomers },
        ...(policy.inCustomerNamespaces
          ? {
              matchResources: {
                namespaceSelector: { matchExpressions: [{ key: CUSTOMER_LABEL, operator: 'Exists' }] },
              },
            }
          : {}),
      },
    },
  ]
}
