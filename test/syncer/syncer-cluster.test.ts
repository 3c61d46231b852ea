/**
 * The syncer service in-process, with the ServiceAccount and RBAC of deploy/rbac/syncer.yaml,
 * against the real API server and a real git host: status and Events, rollback, credentials only
 * where granted, webhooks (refusals and a burst of 100), manual sync, deletion, metrics.
 */
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { StaticSite } from '../../src/api/resources.js'
import { siteKey } from '../../src/api/site-key.js'
import { API_WRITES_METRIC } from '../../src/kube/api-writes.js'
import { fieldManagerOf } from '../../src/kube/field-managers.js'
import { KubeRest } from '../../src/kube/rest.js'
import type { SyncerService } from '../../src/syncer/syncer-service.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { GitSshServer, sshdUnavailable } from '../git/ssh-server.js'
import { GitFixture, served } from './git-fixture.js'
import { sitePath, syncedOf, waitForSite } from './sites.js'
import {
  applySyncerRbac,
  grantSyncerSecrets,
  removeSyncerRbac,
  startClusterSyncer,
  TEST_SYNCER_LABEL,
} from './cluster-syncer.js'

const env = await clusterForTests()
const noSshd = await sshdUnavailable()
const API_VERSION = 'hostplane.dev/v1alpha1'
const WEBHOOK_SECRET = 'webhook-secret-for-tests'
const SYNC_TOKEN = 'sync-token-for-tests'
const UNCHANGED = /hostplane_syncer_sync_duration_seconds_count\{result="unchanged"\} (\d+)/
const PUBLISHED = /hostplane_syncer_sync_duration_seconds_count\{result="published"\} (\d+)/

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('the syncer with its own ServiceAccount on a real API server', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let fx: GitFixture
  let service: SyncerService
  let root: string
  const id = randomBytes(3).toString('hex')
  const system = `t-sync-sys-${id}`
  const granted = `t-sync-a-${id}`
  const denied = `t-sync-b-${id}`

  const getSite = (namespace: string, name: string) =>
    admin.request<StaticSite>('GET', sitePath(namespace, name))
  const createSite = (namespace: string, name: string, spec: Record<string, unknown>) =>
    admin.request<StaticSite>('POST', sitePath(namespace), {
      body: {
        apiVersion: API_VERSION,
        kind: 'StaticSite',
        metadata: { name, namespace, labels: { [TEST_SYNCER_LABEL]: system } },
        spec,
      },
    })
  const synced = syncedOf
  const waitFor = (namespace: string, name: string, check: (site: StaticSite) => boolean, ms?: number) =>
    waitForSite(admin, namespace, name, check, ms)

  const signed = (body: string) => `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`
  const githubPush = (repo: string) =>
    JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: fx.url(repo) } })
  const deliver = (body: string, headers: Record<string, string>) =>
    fetch(`${service.url}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...headers },
      body,
    })
  const metric = async (pattern: RegExp) => {
    const text = await service.registry.metrics()
    return Number(pattern.exec(text)?.[1] ?? 0)
  }
  /** Every write the syncer sent to the API server, as its /metrics reports them. */
  const apiWrites = async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text()
    const counts = [...text.matchAll(new RegExp(`^${API_WRITES_METRIC}\\{([^}]*)\\} (\\d+)$`, 'gm'))]
    return Object.fromEntries(counts.map(([, labels, count]) => [labels ?? '', Number(count)]))
  }
  const STATUS_WRITES = 'verb="apply-status",resource="staticsites"'

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    for (const name of [system, granted, denied])
      await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name } } })
    await applySyncerRbac(admin, system)
    await grantSyncerSecrets(admin, granted, system)
    fx = await GitFixture.start()
    const started = await startClusterSyncer(cluster, system, fx, {
      webhookSecrets: { github: WEBHOOK_SECRET },
      syncToken: SYNC_TOKEN,
    })
    service = started.service
    root = started.root
  })

  after(async () => {
    await service?.stop()
    await fx?.stop()
    for (const name of [system, granted, denied])
      await admin?.request('DELETE', `/api/v1/namespaces/${name}`).catch(() => {})
    if (admin) await removeSyncerRbac(admin, system)
    admin?.close()
    await env.release()
  })

  it('publishes a new site, reports Synced with the commit, keeps the operator’s conditions, and records an Event', async () => {
    const statusWrites = (await apiWrites())[STATUS_WRITES] ?? 0
    const commit = await fx.repos.create('site.git', { 'index.html': 'first' })
    await createSite(granted, 'site', { repo: fx.url('site.git'), syncInterval: '30s' })
    await admin.apply(
      `${sitePath(granted, 'site')}/status`,
      {
        apiVersion: API_VERSION,
        kind: 'StaticSite',
        metadata: { name: 'site', namespace: granted },
        status: {
          conditions: [
            {
              type: 'Routed',
              status: 'True',
              reason: 'Routed',
              message: 'by the operator',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        },
      },
      { fieldManager: 'hostplane' },
    )
    const site = await waitFor(granted, 'site', (s) => s.status?.lastCommit === commit)
    assert.equal(synced(site)?.status, 'True')
    assert.equal(synced(site)?.reason, 'Published')
    assert.deepEqual(
      site.status?.revisions?.map((r) => r.commit),
      [commit],
    )
    assert.ok(
      site.status?.conditions?.some((c) => c.type === 'Routed'),
      'the operator’s condition survived',
    )
    assert.equal(await served(root, siteKey(granted, 'site'), 'index.html'), 'first')
    const events = await admin.request<{ items: { reason: string; regarding: { name: string } }[] }>(
      'GET',
      `/apis/events.k8s.io/v1/namespaces/${granted}/events`,
    )
    assert.ok(events.items.some((e) => e.regarding.name === 'site' && e.reason === 'Published'))
    assert.ok(
      ((await apiWrites())[STATUS_WRITES] ?? 0) > statusWrites,
      'the status write is counted in the syncer’s /metrics',
    )
    const { managedFields } = site.metadata as { managedFields?: { manager: string; subresource?: string }[] }
    const managers = managedFields?.filter((f) => f.subresource === 'status').map((f) => f.manager)
    assert.ok(managers?.includes(fieldManagerOf('syncer')), `status managers: ${managers?.join(', ')}`)
    const ready = await fetch(`${service.url}/readyz`)
    assert.equal(ready.status, 200)
  })

  it('refuses webhooks without or with a wrong signature, and oversized bodies, without syncing', async () => {
    const body = githubPush('site.git')
    const before = await metric(/hostplane_syncer_git_remote_calls_total\{operation="ls-remote"\} (\d+)/)
    assert.equal((await deliver(body, {})).status, 401)
    assert.equal((await deliver(body, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` })).status, 401)
    const tampered = body.replace('main', 'other')
    assert.equal((await deliver(tampered, { 'x-hub-signature-256': signed(body) })).status, 401)
    const huge = JSON.stringify({ ref: 'refs/heads/main', pad: 'x'.repeat(1024 * 1024) })
    assert.equal((await deliver(huge, { 'x-hub-signature-256': signed(huge) })).status, 413)
    const other = githubPush('other.git')
    const answer = await deliver(other, { 'x-hub-signature-256': signed(other) })
    assert.equal(answer.status, 202)
    assert.deepEqual(await answer.json(), { sites: 0 })
    await sleep(300)
    assert.equal(
      await metric(/hostplane_syncer_git_remote_calls_total\{operation="ls-remote"\} (\d+)/),
      before,
    )
  })

  it('coalesces a burst of 100 signed deliveries into one fetch and one publish', async () => {
    const fetchesBefore = fx.server.countsOf('site.git').fetches
    const listingsBefore = fx.server.countsOf('site.git').refListings
    const publishesBefore = await metric(PUBLISHED)
    const commit = await fx.repos.commit('site.git', { 'index.html': 'second' })
    const body = githubPush('site.git')
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => deliver(body, { 'x-hub-signature-256': signed(body) })),
    )
    assert.ok(answers.every((a) => a.status === 202))
    await waitFor(granted, 'site', (s) => s.status?.lastCommit === commit)
    await sleep(500)
    assert.equal(fx.server.countsOf('site.git').fetches - fetchesBefore, 1, 'exactly one fetch')
    assert.equal((await metric(PUBLISHED)) - publishesBefore, 1, 'exactly one publish')
    // Deliveries that arrive while a sync runs coalesce into one more run, so a burst costs a
    // few cheap ls-remote calls, never one per delivery.
    const listings = fx.server.countsOf('site.git').refListings - listingsBefore
    assert.ok(listings >= 1 && listings <= 5, `${listings} ls-remote calls for 100 deliveries`)
    assert.equal(await served(root, siteKey(granted, 'site'), 'index.html'), 'second')
  })

  it('rolls back to a kept commit when spec.ref pins it, without fetching', async () => {
    const site = await getSite(granted, 'site')
    const first = site.status?.revisions?.[1]?.commit as string
    const fetches = fx.server.countsOf('site.git').fetches
    await admin.request('PATCH', sitePath(granted, 'site'), {
      body: { spec: { ref: first } },
      contentType: 'application/merge-patch+json',
    })
    const rolled = await waitFor(granted, 'site', (s) => synced(s)?.reason === 'RolledBack')
    assert.equal(rolled.status?.lastCommit, first)
    assert.equal(await served(root, siteKey(granted, 'site'), 'index.html'), 'first')
    assert.equal(fx.server.countsOf('site.git').fetches, fetches)
  })

  it('reads git credentials only in namespaces where the Secret role is bound', async () => {
    await fx.repos.create('private.git', { 'index.html': 'private' })
    fx.server.makePrivate('private.git', { username: 'tenant', password: 's3cret-pass' })
    for (const namespace of [granted, denied]) {
      await admin.request('POST', `/api/v1/namespaces/${namespace}/secrets`, {
        body: { metadata: { name: 'git' }, stringData: { username: 'tenant', password: 's3cret-pass' } },
      })
      await createSite(namespace, 'private', { repo: fx.url('private.git'), secretRef: { name: 'git' } })
    }
    await waitFor(granted, 'private', (s) => synced(s)?.status === 'True')
    assert.equal(await served(root, siteKey(granted, 'private'), 'index.html'), 'private')
    const refused = await waitFor(denied, 'private', (s) => synced(s)?.status === 'False')
    assert.equal(synced(refused)?.reason, 'CredentialsUnavailable')
    assert.match(synced(refused)?.message ?? '', /may not read Secrets in namespace/)
    assert.ok(!JSON.stringify(refused.status).includes('s3cret-pass'))
  })

  it(
    'publishes from an ssh URL with a kubernetes.io/ssh-auth Secret (key and known_hosts)',
    { skip: noSshd },
    async () => {
      const sshd = await GitSshServer.start()
      try {
        await fx.repos.create('ssh.git', { 'index.html': 'over ssh' })
        await admin.request('POST', `/api/v1/namespaces/${granted}/secrets`, {
          body: {
            metadata: { name: 'deploy-key' },
            type: 'kubernetes.io/ssh-auth',
            stringData: { 'ssh-privatekey': sshd.clientKey, known_hosts: sshd.knownHosts() },
          },
        })
        await createSite(granted, 'over-ssh', {
          repo: sshd.url(fx.repos.gitDir('ssh.git')),
          secretRef: { name: 'deploy-key' },
        })
        await waitFor(granted, 'over-ssh', (s) => synced(s)?.status === 'True')
        assert.equal(await served(root, siteKey(granted, 'over-ssh'), 'index.html'), 'over ssh')
      } finally {
        await sshd.stop()
      }
    },
  )

  it('says "host not allowed" and "ref not found" in the condition', async () => {
    await createSite(denied, 'elsewhere', { repo: 'https://git.example.com/a.git' })
    await createSite(denied, 'noref', { repo: fx.url('site.git'), ref: 'does-not-exist' })
    const elsewhere = await waitFor(denied, 'elsewhere', (s) => synced(s)?.status === 'False')
    assert.match(synced(elsewhere)?.message ?? '', /^host not allowed/)
    const noref = await waitFor(denied, 'noref', (s) => synced(s)?.status === 'False')
    assert.equal(synced(noref)?.reason, 'RefNotFound')
    assert.match(synced(noref)?.message ?? '', /^ref not found/)
  })

  it('syncs on POST /sync only with the bearer token, and an unchanged sync writes nothing', async () => {
    const url = `${service.url}/sync/${granted}/site`
    assert.equal((await fetch(url, { method: 'POST' })).status, 401)
    assert.equal(
      (await fetch(url, { method: 'POST', headers: { authorization: 'Bearer nope' } })).status,
      401,
    )
    const before = await getSite(granted, 'site')
    const writes = await apiWrites()
    const syncs = await metric(UNCHANGED)
    const ok = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${SYNC_TOKEN}` } })
    assert.equal(ok.status, 202)
    const deadline = Date.now() + 10_000
    while ((await metric(UNCHANGED)) === syncs && Date.now() < deadline) await sleep(50)
    await sleep(300)
    const after = await getSite(granted, 'site')
    assert.equal(
      after.metadata.resourceVersion,
      before.metadata.resourceVersion,
      'an unchanged sync writes nothing',
    )
    assert.deepEqual(await apiWrites(), writes, 'hostplane_api_writes_total counts no write')
    const missing = await fetch(`${service.url}/sync/${granted}/nope`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SYNC_TOKEN}` },
    })
    assert.equal(missing.status, 404)
  })

  it('exports sync duration, failures and last success per site', async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text()
    assert.match(text, /hostplane_syncer_sync_duration_seconds_count\{result="published"\} [1-9]/)
    assert.match(
      text,
      new RegExp(
        `hostplane_syncer_sync_failures_total\\{site="${siteKey(denied, 'private')}",reason="CredentialsUnavailable"\\} [1-9]`,
      ),
    )
    assert.match(
      text,
      new RegExp(
        `hostplane_syncer_last_success_timestamp_seconds\\{site="${siteKey(granted, 'site')}"\\} \\d+`,
      ),
    )
  })

  it('removes the published trees of a deleted site', async () => {
    const key = siteKey(granted, 'private')
    assert.ok(existsSync(join(root, key)))
    await admin.request('DELETE', sitePath(granted, 'private'))
    const trees = join(root, '.hostplane', 'trees', key)
    const deadline = Date.now() + 10_000
    while ((existsSync(join(root, key)) || existsSync(trees)) && Date.now() < deadline) await sleep(100)
    assert.ok(!existsSync(join(root, key)))
    assert.ok(!existsSync(trees))
  })
})
