/**
 * The Customer admission policies on a real API server: overlapping Customer domains refused
 * unless an admin overrides it, and a site's or webspace's tls.clusterIssuer limited to the
 * issuers its Customer may use, tried with the tenant's own credentials.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { CustomerSpec } from '../../src/api/customer.js'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer } from '../../src/api/resources.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import { KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerGroup, customerNamespace } from '../../src/operator/customer/names.js'
import { renderCustomer } from '../../src/operator/customer/render.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { applyTenancyObjects, TEST_TENANCY, type TenancyObjects } from '../cluster/tenancy.js'
import { waitFor } from '../cluster/process.js'

const env = await clusterForTests()
const CUSTOMERS = resourcePath({ apiVersion: API_VERSION, plural: 'customers' })

/** The API server's answer to a write: `admitted`, or the message of its refusal. */
const outcome = (request: Promise<unknown>): Promise<string> =>
  request.then(
    () => 'admitted',
    (error: unknown) => {
      if (error instanceof KubeApiError && error.status === 403) return error.message
      throw error
    },
  )

describe('Customer admission policies on a real API server', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let tenancy: TenancyObjects
  const id = randomBytes(3).toString('hex')
  const created: string[] = []
  const name = (base: string) => `${base}-${id}`

  const customerBody = (base: string, spec: Partial<CustomerSpec>): Customer => ({
    apiVersion: API_VERSION,
    kind: 'Customer',
    metadata: { name: name(base) },
    spec: {
      displayName: base,
      email: `ops@${base}.example`,
      tier: 'shared',
      size: 'small',
      suspended: false,
      ...spec,
    },
  })

  /** Creates a Customer (remembered for cleanup), or only tries to with `dryRun`. */
  const createCustomer = async (base: string, spec: Partial<CustomerSpec>, dryRun = false) => {
    const query = dryRun ? { dryRun: 'All' } : undefined
    const result = await outcome(admin.request('POST', CUSTOMERS, { body: customerBody(base, spec), query }))
    if (result === 'admitted' && !dryRun) created.push(name(base))
    return result
  }

  /**
   * The API server reads parameters from its own cache: a Customer created a moment ago may not
   * be a parameter yet. Repeats the write as a dry run (admission runs in full, nothing is
   * stored) until it is refused, then makes it for real and returns that refusal.
   */
  const refusedOnceSeen = async (write: (dryRun: boolean) => Promise<string>) => {
    await waitFor(async () => ((await write(true)) === 'admitted' ? undefined : true), {
      timeoutMs: 10_000,
      intervalMs: 200,
      describe: () => 'the write stayed admitted',
    })
    const result = await write(false)
    assert.notEqual(result, 'admitted')
    return result
  }

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    tenancy = await applyTenancyObjects(admin, TEST_TENANCY, randomBytes(3).toString('hex'))
    // The policies are enforced once the API server's admission caches see them.
    await new Promise((resolve) => setTimeout(resolve, 1500))
  })

  after(async () => {
    for (const customer of created)
      await admin
        ?.request('DELETE', resourcePath({ apiVersion: API_VERSION, plural: 'customers', name: customer }))
        .catch(() => {})
    await tenancy?.remove()
    admin?.close()
    await env.release()
  })

  describe('overlapping domains', () => {
    before(async () => {
      assert.equal(await createCustomer('alpha', { domains: [`a.${id}.example`] }), 'admitted')
    })

    it('refuses a Customer with the same domain, a subdomain or a parent, naming the other customer and the override', async () => {
      const suffixes = [`a.${id}.example`, `shop.a.${id}.example`, `${id}.example`]
      for (const [i, domain] of suffixes.entries()) {
        const message = await refusedOnceSeen((dryRun) =>
          createCustomer(`beta${i}`, { domains: [domain] }, dryRun),
        )
        assert.match(
          message,
          new RegExp(
            `spec\\.domains: ${domain.replaceAll('.', '\\.')} overlap the domains of customer alpha-${id} \\(a\\.${id}\\.example\\).*set spec\\.domainOverlap\\.allowedWith: \\[alpha-${id}\\]`,
          ),
        )
      }
    })

    it('admits a domain sharing only a suffix without a label boundary', async () => {
      await refusedOnceSeen((dryRun) => createCustomer('probe', { domains: [`a.${id}.example`] }, dryRun))
      assert.equal(await createCustomer('gamma', { domains: [`ba.${id}.example`] }), 'admitted')
    })

    it('admits the overlap when the new Customer names the other in spec.domainOverlap.allowedWith', async () => {
      assert.equal(
        await createCustomer('delta', {
          domains: [`shop.a.${id}.example`],
          domainOverlap: { allowedWith: [name('alpha')] },
        }),
        'admitted',
      )
      const suspend = await outcome(
        admin.request('PATCH', `${CUSTOMERS}/${name('alpha')}`, {
          body: { spec: { suspended: true } },
          contentType: 'application/merge-patch+json',
        }),
      )
      assert.equal(
        suspend,
        'admitted',
        'the other customer stays updatable: either side naming the other is enough',
      )
    })

    it('refuses an update adding an overlapping domain to an existing Customer', async () => {
      const write = (dryRun: boolean) =>
        outcome(
          admin.request('PATCH', `${CUSTOMERS}/${name('gamma')}`, {
            body: { spec: { domains: [`ba.${id}.example`, `blog.a.${id}.example`] } },
            query: dryRun ? { dryRun: 'All' } : undefined,
            contentType: 'application/merge-patch+json',
          }),
        )
      assert.match(
        await refusedOnceSeen(write),
        new RegExp(`blog\\.a\\.${id}\\.example overlap the domains of customer`),
      )
    })
  })

  describe('cluster issuers, with a tenant’s own credentials', () => {
    const tenants: KubeRest[] = []
    let acme: Customer
    let globex: Customer

    /** A Customer with its namespace and status, as the operator would leave it. */
    const provision = async (base: string, spec: Partial<CustomerSpec>): Promise<Customer> => {
      assert.equal(await createCustomer(base, spec), 'admitted')
      const customer = await admin.request<Customer>('GET', `${CUSTOMERS}/${name(base)}`)
      for (const object of renderCustomer(customer, TEST_TENANCY))
        await admin.apply(manifestPath(object), object, { fieldManager: 'hostplane' })
      await admin.request('PATCH', `${CUSTOMERS}/${name(base)}/status`, {
        body: { status: { namespace: customerNamespace(customer) } },
        contentType: 'application/merge-patch+json',
      })
      return customer
    }
    const tenantOf = async (customer: Customer) => {
      const tenant = new KubeRest(
        await cluster.userKubeConfig(`user-${customer.metadata.name}`, [
          customerGroup(customer.metadata.name),
        ]),
      )
      tenants.push(tenant)
      return tenant
    }
    const object = (
      plural: 'staticsites' | 'webspaces',
      customer: Customer,
      objectName: string,
      clusterIssuer: string,
    ): [string, Manifest] => [
      resourcePath({ apiVersion: API_VERSION, plural, namespace: customerNamespace(customer) }),
      {
        apiVersion: API_VERSION,
        kind: plural === 'staticsites' ? 'StaticSite' : 'Webspace',
        metadata: { name: objectName },
        spec: {
          ...(plural === 'staticsites'
            ? { repo: 'https://git.example.com/site.git' }
            : { runtime: 'php-8.3' }),
          tls: { mode: 'auto', clusterIssuer },
        },
      },
    ]
    const create = (tenant: KubeRest, [path, body]: [string, Manifest], dryRun = false) =>
      outcome(tenant.request('POST', path, { body, query: dryRun ? { dryRun: 'All' } : undefined }))

    before(async () => {
      acme = await provision('acme', { domains: [`acme-${id}.example`], clusterIssuers: ['acme-ca'] })
      globex = await provision('globex', { domains: [`globex-${id}.example`] })
    })
    after(() => tenants.forEach((tenant) => tenant.close()))

    it('refuses a platform-only issuer for a StaticSite and a Webspace, naming the issuers the customer may use', async () => {
      const tenant = await tenantOf(acme)
      for (const plural of ['staticsites', 'webspaces'] as const) {
        const message = await refusedOnceSeen((dryRun) =>
          create(tenant, object(plural, acme, `platform-${plural}`, 'platform-ca'), dryRun),
        )
        assert.match(
          message,
          new RegExp(
            `spec\\.tls\\.clusterIssuer: platform-ca is not allowed for customer acme-${id}: use one of test-issuer, letsencrypt-staging, acme-ca, or leave it out for the platform default test-issuer`,
          ),
        )
      }
    })

    it('admits the platform-wide tenant issuers and the customer’s own extra issuer', async () => {
      const tenant = await tenantOf(acme)
      await refusedOnceSeen((dryRun) =>
        create(tenant, object('staticsites', acme, 'probe', 'platform-ca'), dryRun),
      )
      assert.equal(
        await create(tenant, object('staticsites', acme, 'staging', 'letsencrypt-staging')),
        'admitted',
      )
      assert.equal(await create(tenant, object('webspaces', acme, 'default', 'test-issuer')), 'admitted')
      assert.equal(await create(tenant, object('staticsites', acme, 'own-ca', 'acme-ca')), 'admitted')
      assert.equal(await create(tenant, object('webspaces', acme, 'own-ca', 'acme-ca')), 'admitted')
    })

    it('refuses one customer’s extra issuer to another customer', async () => {
      const tenant = await tenantOf(globex)
      const message = await refusedOnceSeen((dryRun) =>
        create(tenant, object('staticsites', globex, 'borrowed', 'acme-ca'), dryRun),
      )
      assert.match(
        message,
        new RegExp(
          `acme-ca is not allowed for customer globex-${id}: use one of test-issuer, letsencrypt-staging,`,
        ),
      )
    })
  })
})
