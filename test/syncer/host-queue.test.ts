/**
 * The syncer's per-host queue as the StaticSite controller drives it, on a real API server and a
 * real git host: with the host's one slot held, a site whose spec changes while it waits leaves the
 * queue and is synced once, with its new spec; a deleted waiting site never reaches the host.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import { siteKey } from '../../src/api/site-key.js'
import { KubeRest } from '../../src/kube/rest.js'
import type { SyncerService } from '../../src/syncer/syncer-service.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { applySyncerRbac, removeSyncerRbac, startClusterSyncer, TEST_SYNCER_LABEL } from './cluster-syncer.js'
import { GitFixture, served } from './git-fixture.js'
import { sitePath, syncedOf, waitForSite } from './sites.js'

const env = await clusterForTests()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Long enough for the test to line sites up behind the hanging check, short enough to wait out. */
const HANG_MS = 6000

describe('sites waiting for a busy git host, on a real API server', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let fx: GitFixture
  let service: SyncerService
  let root: string
  const id = randomBytes(3).toString('hex')
  const system = `t-queue-sys-${id}`
  const tenant = `t-queue-a-${id}`

  const createSite = (name: string, repo: string) =>
    admin.request('POST', sitePath(tenant), {
      body: {
        apiVersion: API_VERSION,
        kind: 'StaticSite',
        metadata: { name, namespace: tenant, labels: { [TEST_SYNCER_LABEL]: system } },
        spec: { repo, syncInterval: '1h' },
      },
    })
  /** Syncs waiting for a slot, over every host, as the syncer's /metrics reports them. */
  const waiting = async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text()
    return [...text.matchAll(/^hostplane_syncer_host_queue_length\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, [, count]) => sum + Number(count),
      0,
    )
  }
  const until = async (what: string, check: () => Promise<boolean>, ms = HANG_MS) => {
    const deadline = Date.now() + ms
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`)
      await sleep(50)
    }
  }

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    for (const name of [system, tenant])
      await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name } } })
    await applySyncerRbac(admin, system)
    fx = await GitFixture.start()
    const started = await startClusterSyncer(cluster, system, fx, {
      webhookSecrets: {},
      concurrency: { global: 4, perHost: 1 },
      timeouts: { lsRemoteMs: HANG_MS },
    })
    service = started.service
    root = started.root
  })

  after(async () => {
    await service?.stop()
    await fx?.stop()
    for (const name of [system, tenant])
      await admin?.request('DELETE', `/api/v1/namespaces/${name}`).catch(() => {})
    if (admin) await removeSyncerRbac(admin, system)
    admin?.close()
    await env.release()
  })

  it('syncs a site that changed while it waited once, with its new spec, and never checks a deleted one', async () => {
    await fx.repos.create('before.git', { 'index.html': 'before' })
    const moved = await fx.repos.create('after.git', { 'index.html': 'after' })
    await fx.repos.create('gone.git', { 'index.html': 'gone' })
    await createSite('busy', fx.server.hangingUrl('x.git'))
    await until('the hanging site holds the slot', async () => fx.server.hanging > 0)
    await createSite('moved', fx.url('before.git'))
    await createSite('gone', fx.url('gone.git'))
    await until('both sites wait for the host', async () => (await waiting()) === 2)

    await admin.request('PATCH', sitePath(tenant, 'moved'), {
      body: { spec: { repo: fx.url('after.git') } },
      contentType: 'application/merge-patch+json',
    })
    await admin.request('DELETE', sitePath(tenant, 'gone'))

    const site = await waitForSite(admin, tenant, 'moved', (s) => s.status?.lastCommit === moved, 4 * HANG_MS)
    assert.equal(syncedOf(site)?.reason, 'Published')
    assert.equal(await served(root, siteKey(tenant, 'moved'), 'index.html'), 'after')
    assert.deepEqual(
      fx.server.countsOf('before.git'),
      { refListings: 0, fetches: 0 },
      'the old spec was never checked',
    )
    assert.deepEqual(
      fx.server.countsOf('gone.git'),
      { refListings: 0, fetches: 0 },
      'the deleted site never reached the host',
    )
    assert.equal(fx.server.countsOf('after.git').fetches, 1, 'the changed site was fetched once')
    assert.ok(!existsSync(join(root, siteKey(tenant, 'gone'))))
    assert.equal(await waiting(), 0)
  })
})
