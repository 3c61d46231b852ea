/**
 * The operator's own token on the real API server, against everything issue 19 found one step
 * from cluster admin: with deploy/rbac/operator.yaml bound to its ServiceAccount and the install's
 * operator guard in place, each broad verb reaches customer namespaces (and the system namespace
 * for site routes) and nothing else. One test per verb that RBAC grants cluster-wide; each names
 * who refuses it: RBAC (no such right), RBAC's escalation check (a right the operator does not
 * hold), or the operator guard admission policy (a right RBAC cannot narrow to tenant namespaces).
 * Requests are dry runs where the answer comes before anything is stored.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { OPERATOR_GUARD_NAME } from '../../src/admission/operator-guard.js'
import { REGISTRY_PULL_SECRET } from '../../src/operator/registry-pull/pull-secret.js'
import { KubeApiError, KubeRest } from '../../src/kube/rest.js'
import { REASON } from '../../src/operator/customer/conditions.js'
import { customerAccessName, customerGroup } from '../../src/operator/customer/names.js'
import type { Operator } from '../../src/operator/operator.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { OperatorEnv } from '../operator/harness.js'

const env = await clusterForTests()

const RBAC_API = '/apis/rbac.authorization.k8s.io/v1'
const ADMISSION_API = '/apis/admissionregistration.k8s.io/v1'
const DRY_RUN = { dryRun: 'All' }

/** Who refuses a request, by the words of its answer. */
const REFUSED_BY = {
  rbac: /is forbidden: User "system:serviceaccount:[^"]+" cannot/,
  escalation:
    /attempting to grant RBAC permissions not currently held|is forbidden: user "system:serviceaccount:[^"]+" .*cannot (bind|escalate)/i,
  guard: new RegExp(`ValidatingAdmissionPolicy '${OPERATOR_GUARD_NAME}-[0-9a-f]+' .*denied request`),
} as const

type Who = keyof typeof REFUSED_BY

const ALL_RULES = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]

const binding = (namespace: string, clusterRole: string, subject: object) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name: 'escalate', namespace },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
  subjects: [subject],
})

const deployment = (namespace: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'escalate', namespace },
  spec: {
    selector: { matchLabels: { app: 'x' } },
    template: {
      metadata: { labels: { app: 'x' } },
      spec: {
        containers: [{ name: 'x', image: 'busybox', resources: { limits: { cpu: '100m', memory: '64Mi' } } }],
      },
    },
  },
})

/** A create request for each namespaced kind the operator may write, by plural. */
const NAMESPACED: Record<string, (namespace: string) => [string, object]> = {
  deployments: (ns) => [`/apis/apps/v1/namespaces/${ns}/deployments`, deployment(ns)],
  services: (ns) => [
    `/api/v1/namespaces/${ns}/services`,
    { metadata: { name: 'escalate' }, spec: { ports: [{ port: 80 }] } },
  ],
  persistentvolumeclaims: (ns) => [
    `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
    {
      metadata: { name: 'escalate' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  ],
  resourcequotas: (ns) => [
    `/api/v1/namespaces/${ns}/resourcequotas`,
    { metadata: { name: 'escalate' }, spec: { hard: { pods: '0' } } },
  ],
  limitranges: (ns) => [
    `/api/v1/namespaces/${ns}/limitranges`,
    { metadata: { name: 'escalate' }, spec: { limits: [{ type: 'Container', max: { cpu: '1m' } }] } },
  ],
  networkpolicies: (ns) => [
    `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`,
    { metadata: { name: 'escalate' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
  ],
  horizontalpodautoscalers: (ns) => [
    `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`,
    {
      metadata: { name: 'escalate' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }, maxReplicas: 1 },
    },
  ],
  poddisruptionbudgets: (ns) => [
    `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`,
    { metadata: { name: 'escalate' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'x' } } } },
  ],
  ingressroutes: (ns) => [
    `/apis/traefik.io/v1alpha1/namespaces/${ns}/ingressroutes`,
    {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name: 'escalate' },
      spec: { routes: [{ match: 'Host(`x.example`)', kind: 'Rule', services: [{ name: 'x', port: 80 }] }] },
    },
  ],
  certificates: (ns) => [
    `/apis/cert-manager.io/v1/namespaces/${ns}/certificates`,
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'escalate' },
      spec: {
        secretName: 'escalate',
        dnsNames: ['x.example'],
        issuerRef: { name: 'x', kind: 'ClusterIssuer' },
      },
    },
  ],
}

describe('the operator’s own token against the API server', { skip: env.skip }, () => {
  let test: OperatorEnv
  let operator: Operator
  let own: KubeRest
  let tenant = ''
  /** A namespace that is not a customer's, with one object of each guarded kind in it. */
  let plain = ''
  let customer = ''
  let self: { kind: string; name: string; namespace: string }

  /** Fails unless the request is refused with 403 by `who` (or one of them, where the API server's order decides). */
  const refused = async (who: Who | readonly Who[], request: Promise<unknown>) => {
    const whos = typeof who === 'string' ? [who] : who
    const error = await request.then(
      () => assert.fail(`accepted; it should have been refused by ${whos.join(' or ')}`),
      (e: unknown) => e,
    )
    assert.ok(error instanceof KubeApiError, String(error))
    assert.equal(error.status, 403, error.message)
    assert.ok(
      whos.some((w) => REFUSED_BY[w].test(error.message)),
      `refused by ${whos.join(' or ')}: ${error.message}`,
    )
  }
  const post = (path: string, body: object) => own.request('POST', path, { body, query: DRY_RUN })
  const merge = (path: string, body: object) =>
    own.request('PATCH', path, { body, contentType: 'application/merge-patch+json', query: DRY_RUN })
  /** A RoleBinding of a ClusterRole in a namespace. */
  const postBinding = (namespace: string, clusterRole: string, subject: object) =>
    post(`${RBAC_API}/namespaces/${namespace}/rolebindings`, binding(namespace, clusterRole, subject))
  const remove = (path: string) => own.request('DELETE', path, { query: DRY_RUN })

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'bound')
    await test.setUp()
    operator = await test.startOperator({ resyncMs: 1000 })
    own = new KubeRest(test.operatorKube)
    self = { kind: 'ServiceAccount', name: test.operatorAccount, namespace: test.systemNamespace }
    customer = `acme-${test.tag}`
    await test.createCustomer(customer)
    const created = await test.waitForCustomer(customer, 'Ready', 'True', REASON.Ready)
    tenant = created.status?.namespace ?? ''
    plain = await test.createNamespace(`t-bound-plain-${test.tag}`)
    for (const request of Object.values(NAMESPACED)) {
      const [path, body] = request(plain)
      await test.admin.request('POST', path, { body })
    }
    await test.admin.request('POST', `${RBAC_API}/namespaces/${tenant}/roles`, {
      body: { metadata: { name: 'other' }, rules: [] },
    })
    // The API server enforces a new policy once its admission caches see it.
    await test.waitUntil('the operator guard is enforced', () =>
      postBinding('kube-system', 'hostplane-tenant', self).then(
        () => undefined,
        (error: unknown) =>
          error instanceof KubeApiError && REFUSED_BY.guard.test(error.message) ? true : undefined,
      ),
    )
  })

  after(async () => {
    await operator?.stop()
    own?.close()
    await test?.tearDown()
    test?.admin.close()
    await env.release()
  })

  describe('the kube-system escalation of issue 19', () => {
    it('a Role hostplane-tenant with */*/* in kube-system: the operator writes no Role', async () => {
      await refused(
        'rbac',
        post(`${RBAC_API}/namespaces/kube-system/roles`, {
          metadata: { name: 'hostplane-tenant', namespace: 'kube-system' },
          rules: ALL_RULES,
        }),
      )
    })

    it('binding the tenant ClusterRole to itself in kube-system', async () => {
      await refused('guard', postBinding('kube-system', 'hostplane-tenant', self))
    })

    it('then reading kube-system Secrets or creating Pods there', async () => {
      await refused('rbac', own.request('GET', '/api/v1/namespaces/kube-system/secrets'))
      await refused(
        'rbac',
        post('/api/v1/namespaces/kube-system/pods', {
          metadata: { name: 'escalate' },
          spec: { containers: [{ name: 'x', image: 'busybox' }] },
        }),
      )
    })
  })

  describe('clusterroles and clusterrolebindings (create, patch, delete cluster-wide)', () => {
    it('a ClusterRole with */*/*', async () => {
      await refused(
        'escalation',
        post(`${RBAC_API}/clusterroles`, { metadata: { name: 'escalate' }, rules: ALL_RULES }),
      )
    })

    it('a ClusterRole with only rights the operator holds, under another name', async () => {
      await refused(
        'guard',
        post(`${RBAC_API}/clusterroles`, {
          metadata: { name: 'escalate' },
          rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['delete'] }],
        }),
      )
    })

    it('a customer’s ClusterRole with more than reading its Customer and the Runtimes', async () => {
      await refused(
        'guard',
        post(`${RBAC_API}/clusterroles`, {
          metadata: { name: customerAccessName(customer) },
          rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['delete'] }],
        }),
      )
      await refused(
        'guard',
        post(`${RBAC_API}/clusterroles`, {
          metadata: { name: customerAccessName(customer) },
          rules: [{ apiGroups: ['hostplane.dev'], resources: ['customers'], verbs: ['get'] }],
        }),
      )
    })

    it('changing the install’s tenant ClusterRole', async () => {
      await refused(
        ['guard', 'escalation'],
        merge(`${RBAC_API}/clusterroles/hostplane-tenant`, { rules: ALL_RULES }),
      )
    })

    it('a ClusterRoleBinding to cluster-admin', async () => {
      await refused(
        'escalation',
        post(`${RBAC_API}/clusterrolebindings`, {
          metadata: { name: 'escalate' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [self],
        }),
      )
    })

    it('a customer’s ClusterRoleBinding to the operator’s own ClusterRole, or to another group', async () => {
      const name = customerAccessName(customer)
      await refused(
        'guard',
        post(`${RBAC_API}/clusterrolebindings`, {
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: test.operatorAccount },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: customerGroup(customer) }],
        }),
      )
      await refused(
        'guard',
        merge(`${RBAC_API}/clusterrolebindings/${name}`, {
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
        }),
      )
    })

    it('adding a subject to its own ClusterRoleBinding, or deleting a system one', async () => {
      await refused(
        'guard',
        merge(`${RBAC_API}/clusterrolebindings/${test.operatorAccount}`, {
          metadata: { labels: { changed: 'yes' } },
        }),
      )
      await refused('guard', remove(`${RBAC_API}/clusterrolebindings/system:basic-user`))
    })
  })

  describe('rolebindings (create, patch, delete in every namespace)', () => {
    for (const role of ['cluster-admin', 'admin', 'edit'])
      it(`a RoleBinding to ${role} in a tenant namespace`, async () => {
        await refused('escalation', postBinding(tenant, role, self))
      })

    it('the tenant ClusterRole bound to anyone but the namespace’s customer group', async () => {
      await refused('guard', postBinding(tenant, 'hostplane-tenant', self))
      await refused(
        'guard',
        postBinding(tenant, 'hostplane-tenant', {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Group',
          name: customerGroup('globex'),
        }),
      )
    })

    it('the TLS Secret reads bound to another ServiceAccount', async () => {
      await refused(
        'guard',
        postBinding(tenant, 'hostplane-operator-tls-secrets', {
          kind: 'ServiceAccount',
          name: 'default',
          namespace: 'kube-system',
        }),
      )
    })

    for (const namespace of ['kube-system', 'default'])
      it(`a RoleBinding to a bindable ClusterRole in ${namespace}`, async () => {
        await refused(
          'guard',
          postBinding(namespace, 'hostplane-syncer-secrets', {
            kind: 'ServiceAccount',
            name: 'hostplane-syncer',
            namespace: test.systemNamespace,
          }),
        )
      })

    it('deleting a RoleBinding in kube-system', async () => {
      await refused(
        'guard',
        remove(`${RBAC_API}/namespaces/kube-system/rolebindings/system:controller:bootstrap-signer`),
      )
    })
  })

  describe('roles (read and delete, for the legacy tenant Role only)', () => {
    it('creating a Role, even in a tenant namespace', async () => {
      await refused(
        'rbac',
        post(`${RBAC_API}/namespaces/${tenant}/roles`, {
          metadata: { name: 'hostplane-tenant' },
          rules: ALL_RULES,
        }),
      )
    })

    it('deleting a Role in kube-system, or another Role in a tenant namespace', async () => {
      await refused(
        'guard',
        remove(`${RBAC_API}/namespaces/kube-system/roles/system:controller:bootstrap-signer`),
      )
      await refused('guard', remove(`${RBAC_API}/namespaces/${tenant}/roles/other`))
    })
  })

  describe('namespaces (create, patch, delete)', () => {
    it('deleting a namespace that is not a customer’s (kube-system itself the API server never deletes)', async () => {
      await refused('guard', remove(`/api/v1/namespaces/${plain}`))
    })

    it('labelling kube-system as a customer namespace', async () => {
      await refused(
        'guard',
        merge('/api/v1/namespaces/kube-system', {
          metadata: { labels: { 'hostplane.dev/customer': customer } },
        }),
      )
    })

    it('creating a namespace that is not a customer’s', async () => {
      await refused('guard', post('/api/v1/namespaces', { metadata: { name: `evil-${test.tag}` } }))
      await refused(
        'guard',
        post('/api/v1/namespaces', {
          metadata: { name: `evil-${test.tag}`, labels: { 'hostplane.dev/customer': customer } },
        }),
      )
    })

    it('removing the customer label from a tenant namespace', async () => {
      await refused(
        'guard',
        merge(`/api/v1/namespaces/${tenant}`, { metadata: { labels: { 'hostplane.dev/customer': null } } }),
      )
    })
  })

  describe('namespaced objects outside customer namespaces', () => {
    for (const [resource, request] of Object.entries(NAMESPACED))
      it(`${resource}: created in kube-system and default, deleted in another namespace`, async () => {
        for (const namespace of ['kube-system', 'default']) {
          const [path, body] = request(namespace)
          await refused('guard', post(path, body))
        }
        const [path] = request(plain)
        await refused('guard', remove(`${path}/escalate`))
      })

    it('deployments and services in the system namespace (only routes, certificates and TLS copies go there)', async () => {
      await refused(
        'guard',
        post(
          `/apis/apps/v1/namespaces/${test.systemNamespace}/deployments`,
          deployment(test.systemNamespace),
        ),
      )
    })

    it('the same objects in the tenant namespace are the operator’s work, and pass', async () => {
      const [path, body] = NAMESPACED.services?.(tenant) ?? ['', {}]
      await post(path, body)
    })
  })

  describe('secrets', () => {
    it('reads none in kube-system, writes only the registry pull Secret in tenant namespaces, and only tls-* copies in the system namespace', async () => {
      await refused('rbac', own.request('GET', '/api/v1/namespaces/kube-system/secrets/anything'))
      await refused('guard', post(`/api/v1/namespaces/${tenant}/secrets`, { metadata: { name: 'tls-x' } }))
      const pull = {
        metadata: { name: REGISTRY_PULL_SECRET },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
      }
      await post(`/api/v1/namespaces/${tenant}/secrets`, pull)
      await refused('guard', post(`/api/v1/namespaces/${tenant}/secrets`, { ...pull, type: 'Opaque' }))
      await refused('rbac', post(`/api/v1/namespaces/${plain}/secrets`, pull))
      await refused('rbac', remove(`/api/v1/namespaces/${tenant}/secrets/${REGISTRY_PULL_SECRET}`))
      await refused(
        'guard',
        post(`/api/v1/namespaces/${test.systemNamespace}/secrets`, { metadata: { name: 'other' } }),
      )
      await post(`/api/v1/namespaces/${test.systemNamespace}/secrets`, { metadata: { name: 'tls-x' } })
    })

    it('reads TLS Secrets in a tenant namespace, where it is bound to', async () => {
      await own.request('GET', `/api/v1/namespaces/${tenant}/secrets`)
    })
  })

  describe('admission policies', () => {
    it('may not change, unbind or add them', async () => {
      const guard = `${OPERATOR_GUARD_NAME}-${test.tag}`
      await refused(
        'rbac',
        merge(`${ADMISSION_API}/validatingadmissionpolicies/${guard}`, { spec: { validations: [] } }),
      )
      await refused('rbac', remove(`${ADMISSION_API}/validatingadmissionpolicybindings/${guard}`))
      await refused(
        'rbac',
        post(`${ADMISSION_API}/validatingadmissionpolicies`, { metadata: { name: 'escalate' } }),
      )
    })
  })
})
