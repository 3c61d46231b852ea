/**
 * The operator guard: what the operator's own ServiceAccount may write, where RBAC cannot say it.
 * RBAC grants the operator its verbs cluster-wide (it cannot name "only tenant namespaces" or a
 * name pattern); this policy, matched by the operator's username, narrows them to:
 * - namespaced objects only in customer namespaces (`sh-`/`ded-` names with the
 *   `hostplane.dev/customer` label), and in the system namespace only site routes, middlewares,
 *   Certificates, TLS Secret copies and backup proxies;
 * - Namespaces only customer namespaces, before and after the change;
 * - RoleBindings only to the install's fixed ClusterRoles, each to its one expected subject (the
 *   namespace's customer group, the operator, the syncer); Roles only the deletion of the legacy
 *   tenant Role;
 * - ClusterRoles and ClusterRoleBindings only `hostplane-customer-<name>`, with exactly the reads
 *   of its own Customer and the Runtimes, bound to that customer's group;
 * - Secrets only `tls-*` in the system namespace (copies of tenants' TLS Secrets for Traefik) and
 *   the backup targets' token and key Secrets (never deleted: a lost key is a lost backup), and
 *   in customer namespaces only the registry pull Secret, Databases' connection Secrets
 *   (`<name>-database` of their own type) and backup repository Secrets (created or changed,
 *   never deleted);
 * - Jobs only backup Jobs, whose Pods get no ServiceAccount token; in the system namespace,
 *   Deployments, Services and NetworkPolicies only of backup repository proxies (`backup-proxy-*`),
 *   whose Pods get no ServiceAccount token either;
 * - Databases (their finalizer) only in customer namespaces, created and deleted only as a
 *   drill's scratch Database; Backups only those of a BackupSchedule (created, and old ones
 *   deleted) and of a Restore (what it replaces); Restores only a schedule's drills.
 * Installed with the install (src/admission/policies.ts), never applied by the operator, which
 * holds no admissionregistration rights.
 */
import type { Manifest } from '../kube/object.js'
import type { OperatorConfig } from '../operator/config.js'
import {
  BOUND_ROLES,
  CUSTOMER_ACCESS_PREFIX,
  CUSTOMER_LABEL,
  customerGroup,
  MANAGED_BY,
  NAMESPACE_PREFIX,
} from '../operator/customer/names.js'
import { celString } from '../api/schema-kit.js'
import { PULL_SECRET_TYPE, REGISTRY_PULL_SECRET } from '../operator/registry-pull/pull-secret.js'
import { celLabel } from './cel-label.js'
import { DATABASE_SECRET_TYPE } from '../operator/database/owned.js'
import {
  BACKUP_COMPONENT,
  keysSecretName,
  repositorySecretName,
  RESTORE_LABEL,
  SCRATCH_LABEL,
  SECRET_TYPE as BACKUP_SECRET_TYPE,
  tokensSecretName,
} from '../operator/backup/owned.js'
import { backupProxyName } from '../operator/backup-target/render-proxy.js'
import { SCHEDULE_LABEL } from '../operator/backup/reconcile.js'

export const OPERATOR_GUARD_NAME = 'hostplane.dev-operator-guard'

/** Every backup proxy's name starts so (and its target is a DNS label after it). */
const PROXY_PREFIX = backupProxyName('x').slice(0, -1)

/** The operator's copies of tenants' TLS Secrets in the system namespace are named with this prefix. */
export const TLS_COPY_PREFIX = 'tls-'

export type OperatorGuardOptions = Pick<OperatorConfig, 'systemNamespace' | 'serviceAccounts'>

/** What a backup target's repository proxy is made of, in the system namespace. */
const PROXY_RESOURCES = ['deployments', 'services', 'networkpolicies']

/** The resources the operator writes (deploy/rbac/operator.yaml), by API group. */
const GUARDED: Readonly<Record<string, readonly string[]>> = {
  '': ['namespaces', 'resourcequotas', 'limitranges', 'services', 'persistentvolumeclaims', 'secrets'],
  'networking.k8s.io': ['networkpolicies'],
  'rbac.authorization.k8s.io': ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
  apps: ['deployments'],
  autoscaling: ['horizontalpodautoscalers'],
  policy: ['poddisruptionbudgets'],
  'traefik.io': ['ingressroutes', 'middlewares'],
  'cert-manager.io': ['certificates'],
  'hostplane.dev': ['releases', 'webspaces', 'databases', 'backups', 'restores'],
  batch: ['jobs'],
}

/** Kinds the operator writes in the system namespace (site routes and their TLS, backup proxies). */
const SYSTEM_NAMESPACE_RESOURCES = [
  'ingressroutes',
  'middlewares',
  'certificates',
  'secrets',
  ...PROXY_RESOURCES,
]

export function renderOperatorGuard({ systemNamespace, serviceAccounts }: OperatorGuardOptions): Manifest[] {
  const labels = { ...MANAGED_BY }
  const username = `system:serviceaccount:${systemNamespace}:${serviceAccounts.operator}`
  const prefixes = Object.values(NAMESPACE_PREFIX).map((p) => `${p}-`)
  const customerNamespaceName = (name: string) =>
    `(${prefixes.map((p) => `${name}.startsWith(${celString(p)})`).join(' || ')})`
  const isCustomerNamespace = (object: string) =>
    `(${celLabel(object, CUSTOMER_LABEL)} != '' && ${customerNamespaceName(`${object}.metadata.name`)})`
  const resource = (name: string) => `(request.resource.resource == ${celString(name)})`
  const serviceAccount = (subject: string, name: string) =>
    `${subject}.kind == 'ServiceAccount' && has(${subject}.namespace) && ${subject}.namespace == ${celString(systemNamespace)} && ${subject}.name == ${celString(name)}`
  const customerOfAccess = `variables.requestName.substring(${CUSTOMER_ACCESS_PREFIX.length})`
  const rule = (expression: string, message: string) => ({ expression, message, reason: 'Forbidden' })
  const systemBackupSecret = `((variables.requestName.startsWith(${celString(tokensSecretName(''))}) && object.type == ${celString(BACKUP_SECRET_TYPE.tokens)}) || (variables.requestName.startsWith(${celString(keysSecretName(''))}) && object.type == ${celString(BACKUP_SECRET_TYPE.keys)}))`
  const backupComponent = `request.operation != 'DELETE' && ${Object.entries(BACKUP_COMPONENT)
    .map(
      ([key, value]) =>
        `${celLabel('object', key)} == ${celString(value)} && ${celLabel('object.spec.template', key)} == ${celString(value)}`,
    )
    .join(' && ')}`
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: OPERATOR_GUARD_NAME, labels },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: Object.entries(GUARDED).map(([group, resources]) => ({
            apiGroups: [group],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            resources,
          })),
        },
        matchConditions: [
          { name: 'operator', expression: `request.userInfo.username == ${celString(username)}` },
        ],
        variables: [
          // Absent, not empty, on cluster-scoped requests and on creates by generateName.
          { name: 'requestNamespace', expression: "has(request.namespace) ? request.namespace : ''" },
          { name: 'requestName', expression: "has(request.name) ? request.name : ''" },
          {
            name: 'inCustomerNamespace',
            expression: `namespaceObject != null && ${isCustomerNamespace('namespaceObject')}`,
          },
          {
            name: 'customer',
            expression: `namespaceObject != null ? ${celLabel('namespaceObject', CUSTOMER_LABEL)} : ''`,
          },
          {
            name: 'inSystemNamespace',
            expression: `variables.requestNamespace == ${celString(systemNamespace)}`,
          },
        ],
        validations: [
          rule(
            `${resource('namespaces')} || variables.requestNamespace == '' || variables.inCustomerNamespace || (variables.inSystemNamespace && request.resource.resource in [${SYSTEM_NAMESPACE_RESOURCES.map(celString).join(', ')}])`,
            `the operator writes namespaced objects only in customer namespaces (${prefixes.join(', ')} with the ${CUSTOMER_LABEL} label), and in ${systemNamespace} only routes, middlewares, Certificates, TLS Secret copies and backup proxies`,
          ),
          rule(
            `!${resource('namespaces')} || ((request.operation == 'DELETE' || ${isCustomerNamespace('object')}) && (request.operation == 'CREATE' || ${isCustomerNamespace('oldObject')}))`,
            `the operator creates, changes and deletes only customer namespaces (${prefixes.join(', ')} with the ${CUSTOMER_LABEL} label)`,
          ),
          rule(
            `!${resource('secrets')} || (variables.inSystemNamespace && variables.requestName.startsWith(${celString(TLS_COPY_PREFIX)})) || (variables.inSystemNamespace && request.operation != 'DELETE' && ${systemBackupSecret}) || (variables.inCustomerNamespace && request.operation != 'DELETE' && ((variables.requestName == ${celString(REGISTRY_PULL_SECRET)} && object.type == ${celString(PULL_SECRET_TYPE)}) || (variables.requestName.endsWith('-database') && object.type == ${celString(DATABASE_SECRET_TYPE)}) || (variables.requestName.startsWith(${celString(repositorySecretName(''))}) && object.type == ${celString(BACKUP_SECRET_TYPE.repository)})))`,
            `the operator writes only TLS Secret copies (${TLS_COPY_PREFIX}*) and the backup targets' ${tokensSecretName('*')} and ${keysSecretName('*')} (never deleted) in ${systemNamespace}, and in customer namespaces the pull Secret ${REGISTRY_PULL_SECRET} (${PULL_SECRET_TYPE}), Databases' connection Secrets (<name>-database, ${DATABASE_SECRET_TYPE}) and backup repository Secrets (${repositorySecretName('*')}, ${BACKUP_SECRET_TYPE.repository})`,
          ),
          rule(
            `!variables.inSystemNamespace || !(request.resource.resource in [${PROXY_RESOURCES.map(celString).join(', ')}]) || (variables.requestName.startsWith(${celString(PROXY_PREFIX)}) && (request.operation == 'DELETE' || !${resource('deployments')} || (object.spec.template.spec.automountServiceAccountToken == false && !has(object.spec.template.spec.serviceAccountName))))`,
            `in ${systemNamespace} the operator writes Deployments, Services and NetworkPolicies only of backup repository proxies (${PROXY_PREFIX}*), whose Pods get no ServiceAccount or its token`,
          ),
          rule(
            `!${resource('backups')} || request.operation == 'DELETE' || ${celLabel('object', SCHEDULE_LABEL)} != '' || ${celLabel('object', RESTORE_LABEL)} != ''`,
            `the operator creates only the Backups of a BackupSchedule (labelled ${SCHEDULE_LABEL}) and of a Restore (labelled ${RESTORE_LABEL}: what it replaces)`,
          ),
          rule(
            `!${resource('restores')} || (request.operation == 'DELETE' ? ${celLabel('oldObject', SCHEDULE_LABEL)} != '' : ${celLabel('object', SCHEDULE_LABEL)} != '' && has(object.spec.verify) && object.spec.verify == true)`,
            `the operator creates and deletes only the drills of a BackupSchedule (labelled ${SCHEDULE_LABEL}, spec.verify true)`,
          ),
          rule(
            `!${resource('webspaces')} || (request.operation == 'UPDATE' && object.spec == oldObject.spec)`,
            'the operator changes no Webspace but its finalizers (the final backup before a delete)',
          ),
          rule(
            `!${resource('databases')} || (request.operation == 'UPDATE' && object.spec == oldObject.spec) || (request.operation == 'DELETE' ? ${celLabel('oldObject', SCRATCH_LABEL)} != '' : ${celLabel('object', SCRATCH_LABEL)} != '')`,
            `the operator creates and deletes only the scratch Databases of restore drills (labelled ${SCRATCH_LABEL})`,
          ),
          rule(
            `!${resource('jobs')} || (${backupComponent} && object.spec.template.spec.automountServiceAccountToken == false && !has(object.spec.template.spec.serviceAccountName))`,
            `the operator writes only backup Jobs (${Object.entries(BACKUP_COMPONENT)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}), without a ServiceAccount or its token, and never deletes one`,
          ),
          rule(
            `!${resource('releases')} || request.operation == 'DELETE'`,
            'the operator only deletes Releases (old ones, by count); the build gate creates them and nobody changes one',
          ),
          rule(
            `!${resource('roles')} || (request.operation == 'DELETE' && variables.requestName == ${celString(BOUND_ROLES.tenant)})`,
            `the operator writes no Role; it only deletes the legacy Role ${BOUND_ROLES.tenant}`,
          ),
          rule(
            `!${resource('rolebindings')} || request.operation == 'DELETE' || (object.roleRef.kind == 'ClusterRole' && has(object.subjects) && size(object.subjects) == 1 && (` +
              `(object.roleRef.name == ${celString(BOUND_ROLES.tenant)} && object.subjects[0].kind == 'Group' && object.subjects[0].name == ${celString(customerGroup(''))} + variables.customer)` +
              ` || (object.roleRef.name == ${celString(BOUND_ROLES.operatorTlsSecrets)} && ${serviceAccount('object.subjects[0]', serviceAccounts.operator)})` +
              ` || (object.roleRef.name == ${celString(BOUND_ROLES.syncerSecrets)} && ${serviceAccount('object.subjects[0]', serviceAccounts.syncer)})))`,
            `the operator binds only the ClusterRoles ${Object.values(BOUND_ROLES).join(', ')}, each to its one subject: the namespace's customer group, the operator, the syncer`,
          ),
          rule(
            `!${resource('clusterroles')} || (variables.requestName.startsWith(${celString(CUSTOMER_ACCESS_PREFIX)}) && (request.operation == 'DELETE' || (!has(object.aggregationRule) && has(object.rules) && object.rules.all(r, !has(r.nonResourceURLs) && r.apiGroups == ['hostplane.dev'] && r.verbs.all(v, v in ['get', 'list', 'watch']) && ((r.resources == ['customers'] && has(r.resourceNames) && r.resourceNames == [${customerOfAccess}]) || (r.resources == ['runtimes'] && !has(r.resourceNames)))))))`,
            `the operator writes only the ClusterRoles ${CUSTOMER_ACCESS_PREFIX}<customer>, which read that Customer and the Runtimes`,
          ),
          rule(
            `!${resource('clusterrolebindings')} || (variables.requestName.startsWith(${celString(CUSTOMER_ACCESS_PREFIX)}) && (request.operation == 'DELETE' || (object.roleRef.kind == 'ClusterRole' && object.roleRef.name == variables.requestName && has(object.subjects) && object.subjects.all(s, s.kind == 'Group' && s.name == ${celString(customerGroup(''))} + ${customerOfAccess}))))`,
            `the operator writes only the ClusterRoleBindings ${CUSTOMER_ACCESS_PREFIX}<customer>, binding the ClusterRole of that name to that customer's group`,
          ),
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: OPERATOR_GUARD_NAME, labels },
      spec: { policyName: OPERATOR_GUARD_NAME, validationActions: ['Deny'] },
    },
  ]
}
