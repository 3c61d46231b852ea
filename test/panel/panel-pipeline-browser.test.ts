/**
 * The panel with the real pipeline behind it, in Chromium: `hostplane operator` as its own process
 * with its ServiceAccount, the cluster syncer with its own, a git repository served by
 * `git http-backend` over HTTPS, and the panel signed in through the real OpenID Provider. A
 * customer creates a StaticSite with the form and watches its page say routed (the operator's
 * Routed) and published at the commit (the syncer's); a second commit is pushed and published
 * with Sync now, the page lists both revisions, and the rollback form brings the first back: the
 * syncer serves it again, in status and on disk. Nothing here writes a site's status.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import type { Customer, StaticSite } from '../../src/api/resources.js'
import { API_VERSION } from '../../src/api/kind.js'
import { siteKey } from '../../src/api/site-key.js'
import { REQUESTED_SYNC_ANNOTATION } from '../../src/api/staticsite.js'
import { findCondition } from '../../src/kube/conditions.js'
import { isNotFound, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { customerNamespace } from '../../src/operator/customer/names.js'
import type { SyncerService } from '../../src/syncer/syncer-service.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { waitFor } from '../cluster/process.js'
import { sharedCustomer } from '../cluster/tenancy.js'
import type { CliProcess } from '../e2e/cli-process.js'
import { startOperatorCli } from '../e2e/pages-stack.js'
import { OperatorEnv } from '../operator/harness.js'
import {
  applySyncerRbac,
  removeSyncerRbac,
  startClusterSyncer,
  TEST_SYNCER_LABEL,
} from '../syncer/cluster-syncer.js'
import { GitFixture, served } from '../syncer/git-fixture.js'
import { sitePath, syncedOf } from '../syncer/sites.js'
import { type BrowserPanel, startBrowserPanel } from './browser-panel.js'
import { chromiumUnavailable } from './chromium-for-tests.js'
import { type PanelCluster, panelCluster } from './panel-cluster.js'

const env = await clusterForTests()
const skip = env.skip || (await chromiumUnavailable())
const SITE = 'blog'
/** The operator's process starts from the sources: its first reconcile takes a while. */
const FIRST_ROUTE_MS = 90_000
const PUBLISH_MS = 45_000

const short = (commit: string) => commit.slice(0, 12)

describe('the panel in Chromium with the real operator and syncer behind it', { skip }, () => {
  let setup: PanelCluster
  let test: OperatorEnv
  let admin: KubeRest
  let work: string
  let operator: CliProcess
  let fx: GitFixture
  let syncer: SyncerService
  let sitesRoot: string
  let ui: BrowserPanel
  let panelUrl: string
  const id = randomBytes(3).toString('hex')
  const customer = sharedCustomer(`pipe-${id}`)
  const namespace = customerNamespace(customer)
  let first: string

  const getSite = () => admin.request<StaticSite>('GET', sitePath(namespace, SITE))

  before(async () => {
    const cluster = await env.get()
    // Its own client: the panel's setup closes its admin when it is removed, before this one's turn.
    admin = new KubeRest(cluster.kubeConfig())
    test = new OperatorEnv(cluster, admin, 'pipe')
    // Runs share the cluster, so this run's operator takes only the Customers and sites labelled
    // for it (in an install it takes all of them): the Customer is labelled as it is created.
    setup = await panelCluster(cluster, id, [
      { ...customer, metadata: { ...customer.metadata, labels: test.labels } },
    ])
    await test.setUp()
    work = await mkdtemp(join(tmpdir(), 'hostplane-panel-pipeline-'))
    operator = startOperatorCli(test, join(work, 'operator.log'))
    await applySyncerRbac(admin, test.systemNamespace)
    fx = await GitFixture.start()
    first = (await fx.repos.create('blog.git', { 'index.html': 'first' })) ?? ''
    const started = await startClusterSyncer(cluster, test.systemNamespace, fx, { webhookSecrets: {} })
    syncer = started.service
    sitesRoot = started.root
    ui = await startBrowserPanel(setup, {
      alice: { email: 'alice@pipe.test', hostplane_customer: customer.metadata.name, groups: ['staff'] },
    })
    panelUrl = ui.panelUrl
  })

  after(async () => {
    await ui?.stop()
    // The site and the Customer go while the operator and the syncer still run to let them go.
    await admin?.request('DELETE', sitePath(namespace, SITE)).catch(() => {})
    await untilGone(sitePath(namespace, SITE), 20_000)
    await setup?.remove()
    // The operator's finalizer lets the Customer go: with the operator stopped first it would stay,
    // claiming <name>.example against the Customers of the files that run after this one.
    const customerPath = resourcePath({
      apiVersion: API_VERSION,
      plural: 'customers',
      name: customer.metadata.name,
    })
    if (!(await untilGone(customerPath, 60_000)))
      await admin
        .request('PATCH', customerPath, {
          contentType: 'application/merge-patch+json',
          body: { metadata: { finalizers: null } },
        })
        .catch(() => {})
    await syncer?.stop()
    await operator?.stop()
    await test?.tearDown()
    if (admin) await removeSyncerRbac(admin, test.systemNamespace)
    admin?.close()
    await fx?.stop()
    if (work) await rm(work, { recursive: true, force: true })
    await env.release()
  })

  /** Whether the object at `path` is gone within `timeoutMs`. */
  const untilGone = (path: string, timeoutMs: number): Promise<boolean> =>
    waitFor(
      () =>
        admin.request('GET', path).then(
          () => undefined,
          (error: unknown) => isNotFound(error) || undefined,
        ),
      { timeoutMs, describe: () => `${path} was not deleted` },
    ).then(
      () => true,
      () => false,
    )

  /** Reloads the site's page until its text says `pattern`; fails with what it said last and the operator's log. */
  async function pageSays(page: Page, pattern: RegExp, timeoutMs: number): Promise<string> {
    let text = ''
    return waitFor(
      async () => {
        await page.goto(`${panelUrl}/sites/${SITE}`)
        text = ((await page.textContent('main')) ?? '').replace(/\s+/g, ' ')
        return pattern.test(text) ? text : undefined
      },
      { timeoutMs, intervalMs: 500, describe: () => `the site's page never said ${pattern}: ${text}` },
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n--- operator\n${(await operator.log()).slice(-3000)}`)
    })
  }

  const revisionRow = (page: Page, commit: string) => page.getByRole('row').filter({ hasText: short(commit) })

  it('creates the site with the form, sees it routed and published, publishes a second commit with Sync now, and rolls back to the first', async () => {
    const context = await ui.browser.newContext({ viewport: { width: 1200, height: 900 } })
    const page = await context.newPage()
    await ui.signIn(page, '/sites/new', 'alice')
    await page.fill('#field-name', SITE)
    await page.fill('#field-repo', fx.url('blog.git'))
    await page.click('button:has-text("Create site")')
    await page.waitForURL(`${panelUrl}/sites/${SITE}?done=created`)

    // Likewise the site, for this run's operator and syncer: the labels are the one thing the
    // test adds to what the form made.
    await admin.request('PATCH', sitePath(namespace, SITE), {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { ...test.labels, [TEST_SYNCER_LABEL]: test.systemNamespace } } },
    })

    await pageSays(page, new RegExp(`Routing routed .*Last sync published ${short(first)}`), FIRST_ROUTE_MS)
    assert.match((await revisionRow(page, first).textContent()) ?? '', /served now/)
    const created = await getSite()
    const routed = findCondition(created.status?.conditions, 'Routed')
    assert.equal(routed?.status, 'True')
    assert.match(routed?.message ?? '', new RegExp(`routed at https://${SITE}-${namespace}\\.pages\\.test`))
    assert.equal(created.status?.lastCommit, first)
    const servedKey = siteKey(namespace, SITE)
    assert.equal(await served(sitesRoot, servedKey, 'index.html'), 'first')
    // The site's Customer is the operator's own (its selector takes it), not a namespace it only routes.
    const owner = await admin.request<Customer>('GET', test.customerPath(customer.metadata.name))
    assert.equal(findCondition(owner.status?.conditions, 'Provisioned')?.status, 'True')

    const second = await fx.repos.commit('blog.git', { 'index.html': 'second' })
    await page.getByRole('button', { name: 'Sync now' }).click()
    await page.waitForURL(`${panelUrl}/sites/${SITE}?done=sync-requested`)
    await pageSays(page, new RegExp(`Last sync published ${short(second)}`), PUBLISH_MS)
    assert.match((await revisionRow(page, second).textContent()) ?? '', /served now/)
    assert.match((await revisionRow(page, first).textContent()) ?? '', /Roll back/)
    const synced = await getSite()
    assert.equal(
      synced.status?.lastHandledSyncRequest,
      synced.metadata.annotations?.[REQUESTED_SYNC_ANNOTATION],
      "the syncer answered the panel's Sync now",
    )
    assert.equal(await served(sitesRoot, servedKey, 'index.html'), 'second')

    await page.getByRole('button', { name: `Roll back to ${short(first)}` }).click()
    await page.waitForURL(`${panelUrl}/sites/${SITE}?done=site-rolled-back`)
    assert.match((await page.getByRole('status').textContent()) ?? '', /Rolled back/)
    await pageSays(page, new RegExp(`Last sync published ${short(first)}`), PUBLISH_MS)
    assert.match((await revisionRow(page, first).textContent()) ?? '', /served now/)
    assert.match(
      (await revisionRow(page, second).textContent()) ?? '',
      new RegExp(`Roll back to ${short(second)}`),
    )
    const rolled = await getSite()
    assert.equal(rolled.spec.ref, first)
    assert.equal(rolled.status?.lastCommit, first)
    assert.equal(syncedOf(rolled)?.reason, 'RolledBack')
    assert.equal(await served(sitesRoot, servedKey, 'index.html'), 'first')
    await context.close()
  })
})
