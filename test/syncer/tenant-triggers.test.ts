/**
 * What tenants trigger and what suspension stops, with the syncer's own ServiceAccount and RBAC
 * (deploy/rbac/syncer.yaml), two provisioned customers acting with their own client certificates,
 * a real API server and a real git host:
 *
 * - a site's own webhook accepts only that site's secret: tenant A's secret signing a delivery for
 *   tenant B's site is refused exactly like an unknown site, and B's site is not even checked;
 * - `hostplane.dev/requested-sync`, set with the tenant's credentials, syncs the site and is echoed
 *   in `status.lastHandledSyncRequest`; `hostplane sync --wait` (the real process, the tenant's
 *   kubeconfig and its context namespace) does the same and prints the outcome;
 * - a suspended customer's sites publish nothing new and say why; on resume they publish at once.
 */
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import type { Customer, StaticSite } from '../../src/api/resources.js'
import { siteKey } from '../../src/api/site-key.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { Manifest } from '../../src/kube/object.js'
import { KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerGroup, customerNamespace } from '../../src/operator/customer/names.js'
import { renderCustomer } from '../../src/operator/customer/render.js'
import type { SyncerService } from '../../src/syncer/syncer-service.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { applyTenancyObjects, sharedCustomer, TEST_TENANCY, type TenancyObjects } from '../cluster/tenancy.js'
import { runHostplane } from '../e2e/cli-process.js'
import { GitFixture, served } from './git-fixture.js'
import { sitePath, syncedOf as synced, waitForSite } from './sites.js'
import { applySyncerRbac, removeSyncerRbac, startClusterSyncer, TEST_SYNCER_LABEL } from './cluster-syncer.js'

const env = await clusterForTests()
const PUBLIC_URL = 'https://sync.pages.test'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The tenant's `hostplane` with only the kubeconfig it is given. */
const hostplane = (args: readonly string[]) => runHostplane(args, undefined, { KUBECONFIG: '' }, 60_000)

describe(
  'tenant-owned triggers and suspension, with the syncer’s own ServiceAccount',
  { skip: env.skip },
  () => {
    let cluster: TestCluster
    let admin: KubeRest
    let fx: GitFixture
    let service: SyncerService
    let root: string
    let dir: string
    let tenancy: TenancyObjects
    const id = randomBytes(3).toString('hex')
    const system = `t-trig-sys-${id}`
    const alpha = sharedCustomer(`alpha-${id}`)
    const beta = sharedCustomer(`beta-${id}`)
    const nsA = customerNamespace(alpha)
    const nsB = customerNamespace(beta)
    const SECRET_A = 'alpha-webhook-secret'
    const SECRET_B = 'beta-webhook-secret'
    /** Tenant A with its own client certificate, and the same as a kubeconfig file for the CLI. */
    let tenantA: KubeRest
    let tenantAConfig: string

    const getSite = (namespace: string, name: string) =>
      admin.request<StaticSite>('GET', sitePath(namespace, name))
    const customerPath = (name?: string) =>
      resourcePath({ apiVersion: API_VERSION, plural: 'customers', name })
    const apply = (object: Manifest) =>
      admin.apply(manifestPath(object), object, { fieldManager: 'hostplane' })
    const waitFor = (namespace: string, name: string, check: (site: StaticSite) => boolean, ms?: number) =>
      waitForSite(admin, namespace, name, check, ms)
    const setSuspended = (suspended: boolean) =>
      admin.request('PATCH', customerPath(alpha.metadata.name), {
        body: { spec: { suspended } },
        contentType: 'application/merge-patch+json',
      })
    /** `hostplane sync site --wait` as tenant A, in its context namespace. */
    const syncAndWait = () =>
      hostplane(['sync', 'site', '--kubeconfig', tenantAConfig, '--wait', '--timeout', '30s'])
    const requestSync = (tenant: KubeRest, namespace: string, token: string) =>
      tenant.request('PATCH', sitePath(namespace, 'site'), {
        body: { metadata: { annotations: { 'hostplane.dev/requested-sync': token } } },
        contentType: 'application/merge-patch+json',
      })

    const signed = (secret: string, body: string) =>
      `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
    const hook = (namespace: string, name: string, secret: string) => {
      const body = JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: fx.url('x.git') } })
      return fetch(`${service.url}/hooks/sites/${namespace}/${name}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': signed(secret, body),
        },
        body,
      })
    }

    before(async () => {
      cluster = await env.get()
      admin = new KubeRest(cluster.kubeConfig())
      dir = await mkdtemp(join(tmpdir(), 'hostplane-triggers-'))
      await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: system } } })
      await applySyncerRbac(admin, system)
      tenancy = await applyTenancyObjects(admin, TEST_TENANCY, id)
      // Plays the operator: the customers' namespaces, tenant RBAC and status.namespace.
      for (const c of [alpha, beta]) {
        const created = await admin.request<Customer>('POST', customerPath(), { body: c })
        c.metadata.uid = created.metadata.uid
        for (const object of renderCustomer(c, { ...TEST_TENANCY, systemNamespace: system }))
          await apply(object)
        await admin.apply(
          `${customerPath(c.metadata.name)}/status`,
          {
            apiVersion: API_VERSION,
            kind: 'Customer',
            metadata: { name: c.metadata.name },
            status: { namespace: customerNamespace(c) },
          },
          { fieldManager: 'hostplane' },
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 1500))

      const user = await cluster.userKubeConfig(`alice-${id}`, [customerGroup(alpha.metadata.name)])
      tenantA = new KubeRest(user)
      const exported = JSON.parse(user.exportConfig()) as {
        contexts: { context: { namespace?: string } }[]
      }
      for (const context of exported.contexts) context.context.namespace = nsA
      tenantAConfig = join(dir, 'alice.kubeconfig')
      await writeFile(tenantAConfig, JSON.stringify(exported), { mode: 0o600 })

      fx = await GitFixture.start()
      const started = await startClusterSyncer(cluster, system, fx, {
        webhookSecrets: {},
        publicUrl: PUBLIC_URL,
      })
      service = started.service
      root = started.root

      // Each tenant's webhook Secret and a site using it, created with the tenant's own credentials.
      const tenantB = new KubeRest(
        await cluster.userKubeConfig(`bob-${id}`, [customerGroup(beta.metadata.name)]),
      )
      for (const [tenant, namespace, secret, repo] of [
        [tenantA, nsA, SECRET_A, 'a.git'],
        [tenantB, nsB, SECRET_B, 'b.git'],
      ] as const) {
        await fx.repos.create(repo, { 'index.html': `${repo} first` })
        await tenant.request('POST', `/api/v1/namespaces/${namespace}/secrets`, {
          body: { metadata: { name: 'hook' }, stringData: { secret } },
        })
        await tenant.request('POST', sitePath(namespace), {
          body: {
            apiVersion: API_VERSION,
            kind: 'StaticSite',
            metadata: { name: 'site', namespace, labels: { [TEST_SYNCER_LABEL]: system } },
            spec: { repo: fx.url(repo), syncInterval: '24h', webhook: { secretRef: { name: 'hook' } } },
          },
        })
      }
      tenantB.close()
      await waitFor(nsA, 'site', (s) => synced(s)?.status === 'True')
      await waitFor(nsB, 'site', (s) => synced(s)?.status === 'True')
    })

    after(async () => {
      await service?.stop()
      await fx?.stop()
      tenantA?.close()
      for (const c of [alpha, beta])
        await admin?.request('DELETE', customerPath(c.metadata.name)).catch(() => {})
      for (const name of [system, nsA, nsB])
        await admin?.request('DELETE', `/api/v1/namespaces/${name}`).catch(() => {})
      if (admin) await removeSyncerRbac(admin, system)
      await tenancy?.remove()
      admin?.close()
      if (dir) await rm(dir, { recursive: true, force: true })
      await env.release()
    })

    it('shows each site its own webhook URL under the syncer’s public URL', async () => {
      const site = await waitFor(nsA, 'site', (s) => s.status?.webhookURL !== undefined)
      assert.equal(site.status?.webhookURL, `${PUBLIC_URL}/hooks/sites/${nsA}/site`)
    })

    it('refuses tenant A’s secret on tenant B’s site like an unknown site, without checking B’s repository', async () => {
      const commit = await fx.repos.commit('b.git', { 'index.html': 'b second' })
      const listings = fx.server.countsOf('b.git').refListings
      const crossTenant = await hook(nsB, 'site', SECRET_A)
      const unknown = await hook(nsB, 'nope', SECRET_A)
      assert.equal(crossTenant.status, 401)
      assert.equal(unknown.status, 401)
      assert.equal(await crossTenant.text(), await unknown.text(), 'the answers do not tell the sites apart')
      await sleep(1000)
      assert.equal(fx.server.countsOf('b.git').refListings, listings, 'B’s repository was not even asked')
      assert.notEqual((await getSite(nsB, 'site')).status?.lastCommit, commit)
      assert.equal(await served(root, siteKey(nsB, 'site'), 'index.html'), 'b.git first')
    })

    it('publishes a site when its own secret signs the delivery', async () => {
      const commit = await fx.repos.commit('a.git', { 'index.html': 'a second' })
      const answer = await hook(nsA, 'site', SECRET_A)
      assert.equal(answer.status, 202)
      await waitFor(nsA, 'site', (s) => s.status?.lastCommit === commit, 10_000)
      assert.equal(await served(root, siteKey(nsA, 'site'), 'index.html'), 'a second')
    })

    it('syncs when the tenant sets hostplane.dev/requested-sync with its own credentials, and records the request', async () => {
      const commit = await fx.repos.commit('a.git', { 'index.html': 'a third' })
      const token = `request-${Date.now()}`
      await requestSync(tenantA, nsA, token)
      const site = await waitFor(nsA, 'site', (s) => s.status?.lastHandledSyncRequest === token, 10_000)
      assert.equal(site.status?.lastCommit, commit)
      assert.equal(await served(root, siteKey(nsA, 'site'), 'index.html'), 'a third')
      const refused = await requestSync(tenantA, nsB, token).then(
        () => undefined,
        (error: unknown) => error,
      )
      assert.ok(refused instanceof KubeApiError && refused.status === 403, 'tenant A cannot request B’s sync')
    })

    it('hostplane sync --wait (a real process with the tenant’s kubeconfig) syncs the site of its context namespace and prints the outcome', async () => {
      const commit = await fx.repos.commit('a.git', { 'index.html': 'a fourth' })
      const ok = await syncAndWait()
      assert.equal(ok.stderr, '')
      assert.equal(
        ok.stdout,
        `StaticSite ${nsA}/site: synced: Published: serving commit ${commit.slice(0, 12)}\n`,
      )
      assert.equal(ok.code, 0)
      assert.equal(await served(root, siteKey(nsA, 'site'), 'index.html'), 'a fourth')

      const forbidden = await hostplane(['sync', 'site', '-n', nsB, '--kubeconfig', tenantAConfig])
      assert.equal(forbidden.code, 1)
      assert.equal(forbidden.stdout, '')
      assert.match(forbidden.stderr, new RegExp(`^hostplane sync: StaticSite ${nsB}/site: forbidden: .+\\n$`))
      const missing = await hostplane(['sync', 'nope', '--kubeconfig', tenantAConfig])
      assert.equal(missing.code, 1)
      assert.equal(missing.stderr, `hostplane sync: StaticSite ${nsA}/nope does not exist\n`)
    })

    it('publishes nothing for a suspended customer and says why; on resume it publishes at once', async () => {
      const before = (await getSite(nsA, 'site')).status?.lastCommit
      await setSuspended(true)
      const suspended = await waitFor(nsA, 'site', (s) => synced(s)?.reason === 'CustomerSuspended', 10_000)
      assert.equal(synced(suspended)?.status, 'False')
      assert.match(
        synced(suspended)?.message ?? '',
        new RegExp(`^customer suspended: ${alpha.metadata.name}`),
      )

      const pushed = await fx.repos.commit('a.git', { 'index.html': 'a while suspended' })
      const fetches = fx.server.countsOf('a.git')
      assert.equal((await hook(nsA, 'site', SECRET_A)).status, 202)
      const cli = await syncAndWait()
      assert.equal(cli.code, 1)
      assert.match(
        cli.stderr,
        /^hostplane sync: StaticSite .+: sync failed: CustomerSuspended: customer suspended: /,
      )
      await sleep(500)
      assert.deepEqual(fx.server.countsOf('a.git'), fetches, 'no ls-remote, no fetch while suspended')
      assert.equal((await getSite(nsA, 'site')).status?.lastCommit, before)
      assert.equal(await served(root, siteKey(nsA, 'site'), 'index.html'), 'a fourth')

      const resumedAt = Date.now()
      await setSuspended(false)
      const resumed = await waitFor(nsA, 'site', (s) => s.status?.lastCommit === pushed, 10_000)
      const took = Date.now() - resumedAt
      assert.equal(synced(resumed)?.reason, 'Published')
      assert.equal(await served(root, siteKey(nsA, 'site'), 'index.html'), 'a while suspended')
      assert.ok(took < 5_000, `published ${took} ms after the resume`)
    })
  },
)
