/**
 * The admission policy that refuses a StaticSite or Webspace in a customer namespace whose
 * `tls.clusterIssuer` is not one its Customer may use (./cluster-issuers.ts has the rule): the
 * platform default, the platform-wide tenant issuers, and the Customer's own
 * `spec.clusterIssuers`. Issuers meant for the platform only (internal CAs, another ACME
 * account) stay out of tenants' reach. The binding selects every Customer as a parameter and each
 * evaluation judges only the namespace that Customer owns (`status.namespace`), so one binding
 * serves all customers. It applies only when the issuer is set and new or changed: an object
 * stored before keeps being updatable (the operator's finalizer, a tenant fixing other fields),
 * and the operator reports it as `IssuerNotAllowed`.
 */
import { GROUP, VERSION } from '../../api/kind.js'
import { celString } from '../../api/schema-kit.js'
import type { Manifest } from '../../kube/object.js'
import { type IssuerConfig, platformIssuers } from './cluster-issuers.js'
import { CUSTOMER_LABEL, ISSUER_POLICY_NAME, MANAGED_BY } from './names.js'

const issuerOf = (object: 'object' | 'oldObject') => `${object}.spec.tls.clusterIssuer`
const ISSUER = issuerOf('object')

export function renderIssuerPolicy(config: IssuerConfig): Manifest[] {
  const labels = { ...MANAGED_BY }
  const platform = `[${platformIssuers(config).map(celString).join(', ')}]`
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: ISSUER_POLICY_NAME, labels },
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
        matchConditions: [
          { name: 'names-an-issuer', expression: `has(object.spec.tls) && has(${ISSUER})` },
          {
            name: 'issuer-new-or-changed',
            expression: `oldObject == null || !has(oldObject.spec.tls) || !has(${issuerOf('oldObject')}) || ${issuerOf('oldObject')} != ${ISSUER}`,
          },
        ],
        variables: [
          {
            name: 'owner',
            expression:
              'has(params.status) && has(params.status.namespace) && params.status.namespace == request.namespace',
          },
          {
            name: 'allowed',
            expression: `${platform} + (has(params.spec.clusterIssuers) ? params.spec.clusterIssuers.filter(i, !(i in ${platform})) : [])`,
          },
        ],
        validations: [
          {
            expression: `!variables.owner || ${ISSUER} in variables.allowed`,
            messageExpression: `'spec.tls.clusterIssuer: ' + ${ISSUER} + ' is not allowed for customer ' + params.metadata.name + ': use one of ' + variables.allowed.join(', ') + ', or leave it out for the platform default ' + ${celString(config.defaultIssuer)} + ' (ask the platform operator to add an issuer to the Customer\\'s spec.clusterIssuers)'`,
            reason: 'Forbidden',
          },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: ISSUER_POLICY_NAME, labels },
      spec: {
        policyName: ISSUER_POLICY_NAME,
        validationActions: ['Deny'],
        paramRef: { selector: {}, parameterNotFoundAction: 'Allow' },
        matchResources: {
          namespaceSelector: { matchExpressions: [{ key: CUSTOMER_LABEL, operator: 'Exists' }] },
        },
      },
    },
  ]
}
