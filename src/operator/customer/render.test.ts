import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { customer } from './fixtures.js'
import { renderCustomer } from './render.js'

const config = {
  ingressNamespace: 'traefik',
  systemNamespace: 'hostplane-system',
  serviceAccounts: { operator: 'hostplane-operator', syncer: 'hostplane-syncer' },
}
const find = (objects: ReturnType<typeof renderCustomer>, kind: string) => {
  const object = objects.find((o) => o.kind === kind)
  assert.ok(object, `no ${kind}`)
  return object as Record<string, unknown> & typeof object
}

describe('renderCustomer', () => {
  it('names the namespace by tier: sh-<name> on shared, ded-<name> on dedicated', () => {
    assert.equal(find(renderCustomer(customer(), config), 'Namespace').metadata.name, 'sh-acme')
    assert.equal(
      find(renderCustomer(customer({ tier: 'dedicated', size: 'large' }), config), 'Namespace').metadata.name,
      'ded-acme',
    )
  })

  it('gives the dedicated large size seed 004’s namespace quota and no node ports or load balancers', () => {
    const quota = find(
      renderCustomer(customer({ tier: 'dedicated', size: 'large' }), config),
      'ResourceQuota',
    )
    assert.deepEqual((quota.spec as { hard: Record<string, string> }).hard, {
      'requests.cpu': '2',
      'limits.cpu': '4',
      'requests.memory': '4Gi',
      'limits.memory': '8Gi',
      pods: '50',
      persistentvolumeclaims: '10',
      'requests.storage': '100Gi',
      'count/staticsites.hostplane.dev': '100',
      'count/webspaces.hostplane.dev': '50',
      'count/databases.hostplane.dev': '20',
      'count/releases.hostplane.dev': '500',
      'count/sshkeys.hostplane.dev': '100',
      services: '60',
      secrets: '200',
      configmaps: '100',
      'count/deployments.apps': '50',
      'count/ingressroutes.traefik.io': '50',
      'count/certificates.cert-manager.io': '50',
      'count/horizontalpodautoscalers.autoscaling': '50',
      'count/poddisruptionbudgets.policy': '50',
      'services.nodeports': '0',
      'services.loadbalancers': '0',
    })
  })

  it('counts every kind a shared small tenant can create or have generated: 10 sites, 3 webspaces, one Deployment, IngressRoute and Certificate each', () => {
    const hard = (
      find(renderCustomer(customer(), config), 'ResourceQuota').spec as { hard: Record<string, string> }
    ).hard
    assert.equal(hard['count/staticsites.hostplane.dev'], '10')
    assert.equal(hard['count/webspaces.hostplane.dev'], '3')
    for (const generated of ['deployments.apps', 'ingressroutes.traefik.io', 'certificates.cert-manager.io'])
      assert.equal(hard[`count/${generated}`], '3', generated)
    assert.deepEqual([hard.services, hard.secrets, hard.configmaps], ['5', '20', '10'])
  })

  it('denies all traffic but from the ingress namespace, DNS, and the egress the customer asked for', () => {
    const policy = find(
      renderCustomer(customer({ egress: [{ cidr: '203.0.113.0/24', ports: [5432] }] }), config),
      'NetworkPolicy',
    )
    const spec = policy.spec as { policyTypes: string[]; ingress: unknown[]; egress: unknown[] }
    assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress'])
    assert.deepEqual(spec.ingress, [
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } }] },
    ])
    assert.deepEqual(spec.egress[1], {
      to: [{ ipBlock: { cidr: '203.0.113.0/24' } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    })
  })

  it('admits only the ingress controller’s pods of its namespace when their labels are given (k3s: Traefik in kube-system)', () => {
    const labels = {
      'app.kubernetes.io/name': 'traefik',
      'app.kubernetes.io/instance': 'traefik-kube-system',
    }
    const policy = find(
      renderCustomer(customer(), { ...config, ingressNamespace: 'kube-system', ingressPodLabels: labels }),
      'NetworkPolicy',
    )
    assert.deepEqual((policy.spec as { ingress: unknown[] }).ingress, [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: labels },
          },
        ],
      },
    ])
  })

  it('binds the install’s fixed ClusterRoles in the namespace and writes no rule of its own there', () => {
    const objects = renderCustomer(customer(), config)
    assert.ok(!objects.some((o) => o.kind === 'Role'), 'no Role with content')
    const bindings = objects.filter((o) => o.kind === 'RoleBinding') as unknown as {
      metadata: { namespace: string }
      roleRef: { kind: string; name: string }
      subjects: Record<string, string>[]
    }[]
    assert.deepEqual(
      bindings.map((b) => [b.metadata.namespace, b.roleRef.kind, b.roleRef.name, b.subjects]),
      [
        [
          'sh-acme',
          'ClusterRole',
          'hostplane-tenant',
          [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'hostplane:customer:acme' }],
        ],
        [
          'sh-acme',
          'ClusterRole',
          'hostplane-operator-tls-secrets',
          [{ kind: 'ServiceAccount', name: 'hostplane-operator', namespace: 'hostplane-system' }],
        ],
        [
          'sh-acme',
          'ClusterRole',
          'hostplane-syncer-secrets',
          [{ kind: 'ServiceAccount', name: 'hostplane-syncer', namespace: 'hostplane-system' }],
        ],
      ],
    )
  })

  it('lets the customer group read its own Customer (by name) and the Runtimes, cluster-wide', () => {
    const objects = renderCustomer(customer(), config)
    assert.deepEqual(find(objects, 'ClusterRole').rules, [
      {
        apiGroups: ['hostplane.dev'],
        resources: ['customers'],
        resourceNames: ['acme'],
        verbs: ['get', 'list', 'watch'],
      },
      { apiGroups: ['hostplane.dev'], resources: ['runtimes'], verbs: ['get', 'list', 'watch'] },
    ])
    const binding = find(objects, 'ClusterRoleBinding')
    assert.equal(binding.metadata.name, 'hostplane-customer-acme')
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'hostplane-customer-acme',
    })
    assert.deepEqual(binding.subjects, [
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'hostplane:customer:acme' },
    ])
  })

  it('owns everything it renders, so deleting the Customer lets the garbage collector remove it', () => {
    for (const object of renderCustomer(customer(), config)) {
      assert.equal(object.metadata.ownerReferences?.[0]?.uid, 'uid-acme', object.kind)
    }
  })
})
