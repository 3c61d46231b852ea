import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { customer } from './fixtures.js'
import { renderCustomer } from './render.js'

const config = { ingressNamespace: 'traefik' }
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

  it('lets the customer group manage only its sites and webspaces and read its secrets', () => {
    const objects = renderCustomer(customer(), config)
    const rules = find(objects, 'Role').rules as {
      apiGroups: string[]
      resources: string[]
      verbs: string[]
    }[]
    const writable = rules.filter((r) => r.verbs.includes('create')).flatMap((r) => r.resources)
    assert.deepEqual(writable, ['staticsites', 'webspaces'])
    assert.ok(
      !rules.some((r) => r.apiGroups.some((g) => g.includes('traefik') || g.includes('cert-manager'))),
    )
    assert.deepEqual((find(objects, 'RoleBinding').subjects as unknown[])[0], {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Group',
      name: 'hostplane:customer:acme',
    })
  })

  it('owns everything it renders, so deleting the Customer lets the garbage collector remove it', () => {
    for (const object of renderCustomer(customer(), config)) {
      assert.equal(object.metadata.ownerReferences?.[0]?.uid, 'uid-acme', object.kind)
    }
  })
})
