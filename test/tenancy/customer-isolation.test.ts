import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer, Runtime, Webspace } from '../../src/api/resources.js'
import { type Manifest, objectKey } from '../../src/kube/object.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import { KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerGroup, customerNamespace } from '../../src/operator/customer/names.js'
import { renderWebspace } from '../../src/operator/webspace/render.js'
import { parse } from 'yaml'
import { REPO_ROOT } from '../cluster/paths.js'
import { waitFor } from '../cluster/process.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import {
  applyTenancyObjects,
  createCustomers,
  TEST_TENANCY,
  type TenancyObjects,
} from '../cluster/tenancy.js'

const env = await clusterForTests()
const PAGES_DOMAIN = 'pages.test'

/** The error a refused request gave, or a failure when it was accepted. */
const refusal = (request: Promise<unknown>) =>
  request.then(
    () => assert.fail('the request was accepted'),
    (error: unknown) => {
      assert.ok(error instanceof KubeApiError, String(error))
      return error
    },
  )

describe('customer namespaces on a real API server', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let tenancy: TenancyObjects
  const id = randomBytes(3).toString('hex')
  const customers: Customer[] = [
    {
      apiVersion: API_VERSION,
      kind: 'Customer',
      metadata: { name: `acme-${id}` },
      spec: {
        displayName: 'Acme',
        email: 'ops@acme.example',
        tier: 'shared',
        size: 'small',
        domains: [`acme-${id}.example`],
        suspended: false,
      },
    },
    {
      apiVersion: API_VERSION,
      kind: 'Customer',
      metadata: { name: `globex-${id}` },
      spec: {
        displayName: 'Globex',
        email: 'ops@globex.example',
        tier: 'dedicated',
        size: 'large',
        domains: [`globex-${id}.example`],
        suspended: false,
      },
    },
  ]
  const [acme, globex] = customers as [Customer, Customer]

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    tenancy = await applyTenancyObjects(admin, TEST_TENANCY, id)
    await createCustomers(admin, customers)
    // The policies are enforced once the API server's admission caches see them.
    await new Promise((resolve) => setTimeout(resolve, 1500))
  })

  after(async () => {
    for (const customer of customers) {
      await admin
        ?.request(
          'DELETE',
          resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: customer.metadata.name }),
        )
        .catch(() => {})
    }
    await tenancy?.remove()
    admin?.close()
    await env.release()
  })

  it('labels the namespace with its customer and tier and enforces Pod Security restricted', async () => {
    const namespace = await admin.request<Manifest>('GET', `/api/v1/namespaces/${customerNamespace(acme)}`)
    assert.equal(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted')
    assert.equal(namespace.metadata.labels?.['hostplane.dev/tier'], 'shared')
    const error = await refusal(
      admin.request('POST', `/api/v1/namespaces/${customerNamespace(acme)}/pods`, {
        body: {
          metadata: { name: 'root' },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      }),
    )
    assert.equal(error.status, 403)
    assert.match(error.message, /violates PodSecurity "restricted/)
  })

  it('refuses a Deployment whose replicas exceed the tier quota, naming the quota', async () => {
    const deployment = (replicas: number) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `app-${replicas}` },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: {
            containers: [
              { name: 'app', image: 'nginx', resources: { limits: { cpu: '100m', memory: '128Mi' } } },
            ],
          },
        },
      },
    })
    const path = `/apis/apps/v1/namespaces/${customerNamespace(acme)}/deployments`
    await admin.request('POST', path, { body: deployment(5) })
    const error = await refusal(admin.request('POST', path, { body: deployment(20) }))
    assert.equal(error.status, 403)
    assert.match(error.message, /exceeds the namespace quota limits\.cpu of 1/)
  })

  it('renders webspaces the real Traefik and cert-manager schemas, quota and Pod Security restricted accept', async () => {
    const runtime = parse(await readFile(join(REPO_ROOT, 'deploy/runtimes/php-8.3.yaml'), 'utf8')) as Runtime
    for (const customer of customers) {
      const webspace: Webspace = {
        apiVersion: API_VERSION,
        kind: 'Webspace',
        metadata: { name: 'render-check', namespace: customerNamespace(customer), uid: randomUUID() },
        spec: {
          runtime: 'php-8.3',
          domains: [`app.${customer.spec.domains?.[0]}`],
          storage: { size: '1Gi', mountPath: '/data' },
          tls: { mode: 'auto' },
          git: { branch: 'main' },
        },
      }
      const objects = renderWebspace(webspace, runtime, customer, {
        entryPoints: ['websecure'],
        defaultIssuer: 'letsencrypt',
        pagesDomain: PAGES_DOMAIN,
      })
      for (const object of objects) {
        // Owner references must name a live owner for the garbage collector, so only the schema is checked here.
        await admin.request('POST', manifestPath(object, { withName: false }), {
          body: { ...object, metadata: { ...object.metadata, ownerReferences: undefined } },
          query: { dryRun: 'All', fieldValidation: 'Strict' },
        })
      }
      const deployment = objects.find((o) => o.kind === 'Deployment') as Manifest & {
        spec: { template: { spec: unknown } }
      }
      await admin.request('POST', `/api/v1/namespaces/${customerNamespace(customer)}/pods`, {
        body: { metadata: { name: 'from-template' }, spec: deployment.spec.template.spec },
        query: { dryRun: 'All' },
      })
      assert.ok(
        objects.some((o) => o.kind === 'HorizontalPodAutoscaler') === (customer.spec.tier === 'dedicated'),
      )
    }
  })

  describe('with a tenant’s own credentials', () => {
    let tenant: KubeRest
    before(async () => {
      tenant = new KubeRest(await cluster.userKubeConfig(`alice-${id}`, [customerGroup(acme.metadata.name)]))
    })
    after(() => tenant?.close())

    const site = (name: string, domains?: string[]) => ({
      apiVersion: API_VERSION,
      kind: 'StaticSite',
      metadata: { name },
      spec: { repo: 'https://git.example.com/acme/site.git', ...(domains ? { domains } : {}) },
    })
    const sites = (customer: Customer) =>
      resourcePath({ apiVersion: API_VERSION, plural: 'staticsites', namespace: customerNamespace(customer) })

    it('can create a StaticSite and a Webspace in its own namespace', async () => {
      await tenant.request('POST', sites(acme), {
        body: site('home', [`www.acme-${id}.example`, `acme-${id}.example`]),
      })
      await tenant.request('POST', sites(acme), {
        body: site('docs', [`docs-${customerNamespace(acme)}.${PAGES_DOMAIN}`]),
      })
      await tenant.request(
        'POST',
        resourcePath({ apiVersion: API_VERSION, plural: 'webspaces', namespace: customerNamespace(acme) }),
        {
          body: {
            apiVersion: API_VERSION,
            kind: 'Webspace',
            metadata: { name: 'shop' },
            spec: { runtime: 'php-8.3', domains: [`shop.acme-${id}.example`] },
          },
        },
      )
      const listed = await tenant.request<{ items: Manifest[] }>('GET', sites(acme))
      assert.deepEqual(listed.items.map((s) => objectKey(s)).sort(), [
        `${customerNamespace(acme)}/docs`,
        `${customerNamespace(acme)}/home`,
      ])
    })

    it('cannot claim a domain outside its list, and is told which domains it may use', async () => {
      const error = await refusal(
        tenant.request('POST', sites(acme), { body: site('stolen', [`www.globex-${id}.example`]) }),
      )
      assert.equal(error.status, 403)
      assert.match(
        error.message,
        new RegExp(`spec\\.domains: www\\.globex-${id}\\.example not allowed for customer acme-${id}`),
      )
      assert.match(
        error.message,
        new RegExp(
          `must be under acme-${id}\\.example or its own default domain stolen-${customerNamespace(acme)}\\.pages\\.test`,
        ),
      )
      const squat = await refusal(
        tenant.request('POST', sites(acme), {
          body: site('squat', [`home-${customerNamespace(globex)}.${PAGES_DOMAIN}`]),
        }),
      )
      assert.equal(squat.status, 403, "another namespace's default pages domain is refused")
      const sibling = await refusal(
        tenant.request('POST', sites(acme), {
          body: site('third', [`docs-${customerNamespace(acme)}.${PAGES_DOMAIN}`]),
        }),
      )
      assert.equal(sibling.status, 403, "a sibling site's default domain is refused too")
    })

    it("cannot read another tenant's Secrets, or create its own Traefik or cert-manager objects", async () => {
      await admin.request('POST', `/api/v1/namespaces/${customerNamespace(globex)}/secrets`, {
        body: { metadata: { name: 'db' }, stringData: { password: 'hunter2' } },
      })
      assert.equal(
        (await refusal(tenant.request('GET', `/api/v1/namespaces/${customerNamespace(globex)}/secrets/db`)))
          .status,
        403,
      )
      assert.equal(
        (await refusal(tenant.request('GET', `/api/v1/namespaces/${customerNamespace(globex)}/secrets`)))
          .status,
        403,
      )
      const ingressRoute = {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        metadata: { name: 'mine' },
        spec: { routes: [{ match: 'Host(`x.example`)', kind: 'Rule', services: [{ name: 'x', port: 80 }] }] },
      }
      assert.equal(
        (
          await refusal(
            tenant.request(
              'POST',
              `/apis/traefik.io/v1alpha1/namespaces/${customerNamespace(acme)}/ingressroutes`,
              { body: ingressRoute },
            ),
          )
        ).status,
        403,
      )
      assert.equal(
        (
          await refusal(
            tenant.request(
              'POST',
              `/apis/cert-manager.io/v1/namespaces/${customerNamespace(acme)}/certificates`,
              { body: {} },
            ),
          )
        ).status,
        403,
      )
      assert.equal(
        (
          await refusal(
            tenant.request('POST', `/api/v1/namespaces/${customerNamespace(acme)}/pods`, { body: {} }),
          )
        ).status,
        403,
      )
    })

    it('manages its own Secrets and ConfigMaps, but cannot change its quota or limits', async () => {
      const namespace = customerNamespace(acme)
      for (const plural of ['secrets', 'configmaps']) {
        await tenant.request('POST', `/api/v1/namespaces/${namespace}/${plural}`, {
          body: {
            metadata: { name: 'git' },
            ...(plural === 'secrets' ? { stringData: { token: 't' } } : {}),
          },
        })
        await tenant.request('GET', `/api/v1/namespaces/${namespace}/${plural}/git`)
        await tenant.request('DELETE', `/api/v1/namespaces/${namespace}/${plural}/git`)
      }
      for (const path of ['resourcequotas/hostplane-quota', 'limitranges/hostplane-limits'])
        assert.equal(
          (await refusal(tenant.request('DELETE', `/api/v1/namespaces/${namespace}/${path}`))).status,
          403,
          path,
        )
    })

    it('reads its own Customer, quota, limits and the Runtimes (as `kubectl get runtimes` does), but not another Customer', async () => {
      const namespace = customerNamespace(acme)
      const customerPath = (name?: string) =>
        resourcePath({ apiVersion: API_VERSION, plural: 'customers', name })
      const own = await tenant.request<Customer>('GET', customerPath(acme.metadata.name))
      assert.deepEqual(own.spec.domains, acme.spec.domains)
      const quota = await tenant.request<Manifest & { spec: { hard: Record<string, string> } }>(
        'GET',
        `/api/v1/namespaces/${namespace}/resourcequotas/hostplane-quota`,
      )
      assert.equal(quota.spec.hard.pods, '10')
      const limits = await tenant.request<{ items: Manifest[] }>(
        'GET',
        `/api/v1/namespaces/${namespace}/limitranges`,
      )
      assert.deepEqual(
        limits.items.map((l) => l.metadata.name),
        ['hostplane-limits'],
      )
      // A fresh cluster's Runtime storage may still be initializing (429): wait for an answer.
      const runtimes = await waitFor(
        () =>
          tenant
            .request<{ items: Runtime[] }>(
              'GET',
              resourcePath({ apiVersion: API_VERSION, plural: 'runtimes' }),
            )
            .catch((error: unknown) => {
              if (error instanceof KubeApiError && error.status === 429) return undefined
              throw error
            }),
        { timeoutMs: 10_000, describe: () => 'the Runtimes within 10 s' },
      )
      assert.ok(Array.isArray(runtimes.items))
      assert.equal((await refusal(tenant.request('GET', customerPath(globex.metadata.name)))).status, 403)
      assert.equal(
        (await refusal(tenant.request('GET', customerPath()))).status,
        403,
        'no list of all Customers',
      )
    })
  })
})
