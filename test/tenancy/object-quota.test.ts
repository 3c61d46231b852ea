/**
 * A tenant's object counts are bounded for every kind it can create or have generated in its
 * namespace: with the tier quota of renderCustomer on a real API server, each kind fills up to its
 * limit and the next object is refused at admission time with the API server's "exceeded quota"
 * message, naming the quota, the count used and the limit.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer } from '../../src/api/resources.js'
import { type Manifest } from '../../src/kube/object.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import { KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerGroup, customerNamespace, QUOTA_NAME } from '../../src/operator/customer/names.js'
import { renderCustomer } from '../../src/operator/customer/render.js'
import { TIER_OBJECT_LIMITS } from '../../src/operator/customer/tiers.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { applyTenancyObjects, sharedCustomer, TEST_TENANCY, type TenancyObjects } from '../cluster/tenancy.js'
import { waitFor } from '../cluster/process.js'

const env = await clusterForTests()

interface QuotaStatus {
  readonly status?: { readonly hard?: Record<string, string>; readonly used?: Record<string, string> }
}

/** One countable kind: its quota key, where it is created and a valid object of it. */
interface Counted {
  readonly key: string
  readonly apiPath: string
  readonly plural: string
  readonly body: (name: string) => Record<string, unknown>
  /** Whether the tenant creates it with its own credentials (else the operator does, here the admin). */
  readonly byTenant: boolean
}

const labels = { app: 'quota' }
const COUNTED: readonly Counted[] = [
  {
    key: 'count/staticsites.hostplane.dev',
    apiPath: `/apis/${API_VERSION}`,
    plural: 'staticsites',
    byTenant: true,
    body: (name) => ({
      apiVersion: API_VERSION,
      kind: 'StaticSite',
      metadata: { name },
      spec: { repo: 'https://git.example.com/acme/site.git' },
    }),
  },
  {
    key: 'count/webspaces.hostplane.dev',
    apiPath: `/apis/${API_VERSION}`,
    plural: 'webspaces',
    byTenant: true,
    body: (name) => ({
      apiVersion: API_VERSION,
      kind: 'Webspace',
      metadata: { name },
      spec: { runtime: 'php-8.3' },
    }),
  },
  {
    key: 'count/sshkeys.hostplane.dev',
    apiPath: `/apis/${API_VERSION}`,
    plural: 'sshkeys',
    byTenant: true,
    body: (name) => ({
      apiVersion: API_VERSION,
      kind: 'SshKey',
      metadata: { name },
      spec: {
        publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA9lGtHNg8ubgsORENRTwGUtRQTB1YjofJActbRmkSYV quota',
      },
    }),
  },
  {
    key: 'secrets',
    apiPath: '/api/v1',
    plural: 'secrets',
    byTenant: true,
    body: (name) => ({ metadata: { name }, stringData: { token: 't' } }),
  },
  {
    key: 'configmaps',
    apiPath: '/api/v1',
    plural: 'configmaps',
    byTenant: true,
    body: (name) => ({ metadata: { name }, data: { key: 'value' } }),
  },
  {
    key: 'services',
    apiPath: '/api/v1',
    plural: 'services',
    byTenant: false,
    body: (name) => ({ metadata: { name }, spec: { selector: labels, ports: [{ port: 80 }] } }),
  },
  {
    key: 'count/deployments.apps',
    apiPath: '/apis/apps/v1',
    plural: 'deployments',
    byTenant: false,
    body: (name) => ({
      metadata: { name },
      spec: {
        replicas: 0,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
      },
    }),
  },
  {
    key: 'count/ingressroutes.traefik.io',
    apiPath: '/apis/traefik.io/v1alpha1',
    plural: 'ingressroutes',
    byTenant: false,
    body: (name) => ({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name },
      spec: { routes: [{ match: 'Host(`x.example`)', kind: 'Rule', services: [{ name: 'x', port: 80 }] }] },
    }),
  },
  {
    key: 'count/certificates.cert-manager.io',
    apiPath: '/apis/cert-manager.io/v1',
    plural: 'certificates',
    byTenant: false,
    body: (name) => ({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name },
      spec: {
        secretName: `${name}-tls`,
        dnsNames: [`${name}.example`],
        issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt' },
      },
    }),
  },
  {
    key: 'count/horizontalpodautoscalers.autoscaling',
    apiPath: '/apis/autoscaling/v2',
    plural: 'horizontalpodautoscalers',
    byTenant: false,
    body: (name) => ({
      metadata: { name },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, maxReplicas: 2 },
    }),
  },
  {
    key: 'count/poddisruptionbudgets.policy',
    apiPath: '/apis/policy/v1',
    plural: 'poddisruptionbudgets',
    byTenant: false,
    body: (name) => ({ metadata: { name }, spec: { minAvailable: 1, selector: { matchLabels: labels } } }),
  },
]

describe('object counts of a shared small tenant on a real API server', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let tenancy: TenancyObjects
  let tenant: KubeRest
  const id = randomBytes(3).toString('hex')
  const customer = sharedCustomer(`quota-${id}`)
  const namespace = customerNamespace(customer)
  const quotaPath = `/api/v1/namespaces/${namespace}/resourcequotas/${QUOTA_NAME}`

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    const created = await admin.request<Customer>(
      'POST',
      resourcePath({ apiVersion: API_VERSION, plural: 'customers' }),
      { body: customer },
    )
    customer.metadata.uid = created.metadata.uid
    tenancy = await applyTenancyObjects(admin, TEST_TENANCY, id)
    for (const object of renderCustomer(customer, TEST_TENANCY))
      await admin.apply(manifestPath(object), object as Manifest, { fieldManager: 'hostplane' })
    tenant = new KubeRest(
      await cluster.userKubeConfig(`quota-${id}`, [customerGroup(customer.metadata.name)]),
    )
    await counted()
  })

  /**
   * Until kube-controller-manager's quota controller has counted a resource, the API server
   * refuses creates of it ("status unknown for quota"); it counts a new quota within moments.
   */
  async function counted(): Promise<void> {
    await waitFor(
      async () => {
        const { status } = await admin.request<QuotaStatus>('GET', quotaPath)
        return COUNTED.every((kind) => status?.used?.[kind.key] !== undefined) ? true : undefined
      },
      { timeoutMs: 30_000, describe: () => `${QUOTA_NAME} in ${namespace} was not counted within 30 s` },
    )
  }

  after(async () => {
    await admin
      ?.request(
        'DELETE',
        resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: customer.metadata.name }),
      )
      .catch(() => {})
    tenant?.close()
    await tenancy?.remove()
    admin?.close()
    await env.release()
  })

  const limits = TIER_OBJECT_LIMITS.shared.small
  it('renders the sensible small limits the docs promise (10 sites, 3 webspaces, 5 services, 20 secrets, 10 config maps)', () => {
    assert.deepEqual(
      [limits?.staticSites, limits?.webspaces, limits?.services, limits?.secrets, limits?.configMaps],
      [10, 3, 5, 20, 10],
    )
  })

  for (const kind of COUNTED)
    it(`${kind.byTenant ? 'the tenant' : 'the operator'} creates ${kind.plural} up to ${kind.key} and the next is refused with "exceeded quota"`, async () => {
      const client = kind.byTenant ? tenant : admin
      const path = `${kind.apiPath}/namespaces/${namespace}/${kind.plural}`
      const { status } = await admin.request<QuotaStatus>('GET', quotaPath)
      const hard = Number(status?.hard?.[kind.key])
      // Kubernetes' own objects (kube-root-ca.crt) count too.
      const used = Number(status?.used?.[kind.key] ?? 0)
      assert.ok(hard > used, `${kind.key}: ${used} of ${hard} used before the test`)
      for (let i = used; i < hard; i++) await client.request('POST', path, { body: kind.body(`q${i}`) })
      const error = await client.request('POST', path, { body: kind.body('one-too-many') }).then(
        () => assert.fail(`${kind.plural} beyond ${hard} were accepted`),
        (e: unknown) => {
          assert.ok(e instanceof KubeApiError, String(e))
          return e
        },
      )
      assert.equal(error.status, 403)
      assert.ok(
        error.message.includes(
          `exceeded quota: ${QUOTA_NAME}, requested: ${kind.key}=1, used: ${kind.key}=${hard}, limited: ${kind.key}=${hard}`,
        ),
        error.message,
      )
    })
})
