/**
 * The build namespace and the rights of whoever runs builds, rendered once for the install
 * (deploy/install/builds.ts) and the tests that run builds against a real API server. Pure.
 *
 * - Pod Security: `enforce: privileged`, `audit`/`warn: restricted`. Rootless BuildKit needs
 *   seccomp and AppArmor unconfined, which even `baseline` refuses, and Pod Security cannot make
 *   an exception for one container; the build Pod policy (src/admission/build-pods.ts) is the
 *   gate instead, holding every other container to `restricted` and BuildKit's to exactly what it
 *   needs. The audit and warn labels keep the difference visible.
 * - NetworkPolicy: nothing in; out only to DNS, to the system namespace (the gitserver's source
 *   endpoint, the in-cluster registry) and to the install's `builds.egress` addresses. Rootless
 *   BuildKit runs a Dockerfile's RUN steps in the Pod's network, so they are held to it too.
 * - The runner's Role: create, get, list, watch and delete Jobs, read their Pods and logs, and
 *   create and delete the per-build push Secrets, in the build namespace only.
 */
import { dnsEgress, namespaceNamed } from '../../kube/network-policy.js'
import type { Manifest } from '../../kube/object.js'
import { MANAGED_BY } from '../../operator/customer/names.js'

export const BUILD_RUNNER_ROLE = 'hostplane-build-runner'

/** Addresses builds may reach beyond DNS and the system namespace (a package mirror, a proxy). */
export interface BuildEgress {
  readonly cidr: string
  readonly ports: readonly number[]
}

export interface BuildNamespaceOptions {
  readonly namespace: string
  readonly systemNamespace: string
  readonly egress: readonly BuildEgress[]
}

export function renderBuildNamespace({
  namespace,
  systemNamespace,
  egress,
}: BuildNamespaceOptions): Manifest[] {
  const labels = { ...MANAGED_BY }
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': 'privileged',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'hostplane-builds', namespace, labels },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        egress: [
          dnsEgress(),
          { to: [namespaceNamed(systemNamespace)] },
          ...egress.map(({ cidr, ports }) => ({
            to: [{ ipBlock: { cidr } }],
            ports: ports.map((port) => ({ protocol: 'TCP', port })),
          })),
        ],
      },
    },
  ]
}

/** The runner's Role in the build namespace, bound to `subject` (a ServiceAccount elsewhere). */
export function renderBuildRunnerRbac(
  namespace: string,
  subject: { readonly namespace: string; readonly name: string },
): Manifest[] {
  const labels = { ...MANAGED_BY }
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: BUILD_RUNNER_ROLE, namespace, labels },
      rules: [
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'delete'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: BUILD_RUNNER_ROLE, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: BUILD_RUNNER_ROLE },
      subjects: [{ kind: 'ServiceAccount', ...subject }],
    },
  ]
}
