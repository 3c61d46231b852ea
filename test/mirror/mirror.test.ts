/**
 * `hostplane mirror` as it runs next to nginx replicas without a shared volume: a real syncer
 * process (the test cluster, a real git host) and mirror processes, each with its own sites root.
 *
 * - every mirror serves its own copy of every site, and a new revision reaches all of them;
 * - the feed answers on its own port only, refuses a wrong token, and a mirror holding one serves
 *   nothing and says why;
 * - a file altered on the way is refused: a mirror behind a tampering proxy never serves a byte of it;
 * - a mirror killed with SIGKILL, and the syncer restarted, catch up; a deleted site is removed;
 * - under the torn-read load through each replica's nginx, 0 torn and 0 missing responses while
 *   revisions publish.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { chmod, readdir, readFile, realpath } from 'node:fs/promises'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import { siteKey } from '../../src/api/site-key.js'
import { KubeRest } from '../../src/kube/rest.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { waitFor } from '../cluster/process.js'
import { nginxUnavailable, type RunningNginx, startNginx } from '../serving/nginx-for-tests.js'
import { GitFixture } from '../syncer/git-fixture.js'
import { sitePath } from '../syncer/sites.js'
import {
  type HostplaneProcess,
  MIRROR_TOKEN,
  ready,
  requestSync,
  startMirrorProcess,
  startSyncerProcess,
  type SyncerPorts,
  type SyncerProcess,
} from './mirror-processes.js'
import { content, files, revisionOf } from '../syncer/torn-content.js'
import { startLoad } from './torn-load.js'

const env = await clusterForTests()
const noNginx = await nginxUnavailable()
const PUBLISHES = 20

type Replica = HostplaneProcess & { root: string }

/** The revision a sites root serves for a site (its index.html), -1 when it serves none. */
const servedRevision = async (root: string, key: string) =>
  revisionOf(await readFile(join(root, key, 'index.html'), 'utf8').catch(() => ''))

const untilServed = (root: string, key: string, revision: number, timeoutMs = 30_000) =>
  waitFor(async () => ((await servedRevision(root, key)) === revision ? true : undefined), {
    timeoutMs,
    intervalMs: 20,
    describe: () => `${root} did not serve revision ${revision} of ${key} within ${timeoutMs} ms`,
  })

/** Site entries of a sites root (the store's own directory aside). */
const sitesIn = async (root: string) => (await readdir(root)).filter((name) => name !== '.hostplane')

const logContains = (replica: Replica, text: string) =>
  waitFor(async () => ((await replica.process.log()).includes(text) ? true : undefined), {
    timeoutMs: 30_000,
    describe: () => `the mirror never logged ${text}`,
  })

/** A proxy in front of the syncer that flips the first byte of every file it passes. */
async function tamperingProxy(target: string): Promise<{ url: string; stop(): Promise<void> }> {
  const upstream = new URL(target)
  const server: Server = createServer((request, response) => {
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: request.url,
        method: request.method,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        let first = true
        const tamper = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            if (first && request.url?.includes('/blobs/') && chunk.length > 0)
              chunk[0] = (chunk[0] as number) ^ 1
            first = false
            done(null, chunk)
          },
        })
        answer.pipe(tamper).pipe(response)
      },
    )
    forward.on('error', () => response.destroy())
    request.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no proxy address')
  return {
    url: `http://127.0.0.1:${address.port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('hostplane mirror: replicas with their own copy of every site', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let fx: GitFixture
  let world: string
  let syncer: SyncerProcess
  const mirrors: Replica[] = []
  const others: { stop(): Promise<void> }[] = []
  const namespace = `mirror-${randomBytes(3).toString('hex')}`
  const A = siteKey(namespace, 'a')
  const B = siteKey(namespace, 'b')

  const startSyncer = (ports?: SyncerPorts) =>
    startSyncerProcess({
      fx,
      kubeconfig: cluster.kubeconfigPath,
      namespace,
      dir: join(world, 'syncer'),
      ports,
    })
  const mirrorIn = (name: string, options: { token?: string; syncerUrl?: string } = {}) =>
    startMirrorProcess({
      syncerUrl: options.syncerUrl ?? syncer.feedUrl,
      dir: join(world, name),
      token: options.token,
    })
  const createSite = (name: string) =>
    admin.request('POST', sitePath(namespace), {
      body: {
        apiVersion: API_VERSION,
        kind: 'StaticSite',
        metadata: { name, namespace },
        spec: { repo: fx.url(`${name}.git`), syncInterval: '24h' },
      },
    })
  const publish = async (revision: number) => {
    await fx.repos.commit('a.git', files(revision))
    await requestSync(syncer.url, namespace, 'a')
    await untilServed(syncer.root, A, revision)
  }

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    fx = await GitFixture.start()
    // nginx's workers run as nobody when the test runs as root: they must reach every replica's root.
    await chmod(fx.dir, 0o755)
    world = join(fx.dir, 'world')
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: namespace } } })
    for (const name of ['a', 'b']) await fx.repos.create(`${name}.git`, files(0))
    syncer = await startSyncer()
    for (const name of ['a', 'b']) await createSite(name)
    for (const key of [A, B]) await untilServed(syncer.root, key, 0)
    for (const name of ['mirror-1', 'mirror-2']) mirrors.push(await mirrorIn(name))
    for (const mirror of mirrors) await ready(mirror.url, mirror.process)
  })

  after(async () => {
    for (const running of [...others, ...mirrors.map((m) => m.process), syncer?.process])
      await running?.stop()
    await admin?.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => {})
    await fx?.stop()
    await env.release()
  })

  it('serves its own copy of every site on each replica, and a new revision reaches all of them', async () => {
    for (const mirror of mirrors)
      for (const key of [A, B]) {
        assert.equal(await readFile(join(mirror.root, key, 'index.html'), 'utf8'), content(0, 'index.html'))
        assert.ok(
          (await realpath(join(mirror.root, key))).startsWith(await realpath(mirror.root)),
          `${key} is a copy`,
        )
      }
    await publish(1)
    for (const mirror of mirrors) await untilServed(mirror.root, A, 1)
    // The mirror counts a revision just after switching it in: poll, as a scraper would.
    const caughtUp = [
      /hostplane_mirror_revisions_applied_total\{action="published"\} 3\n/,
      /hostplane_mirror_sites_behind 0\n/,
    ]
    let metrics = ''
    await waitFor(
      async () => {
        metrics = await (await fetch(`${mirrors[0]?.url}/metrics`)).text()
        return caughtUp.every((line) => line.test(metrics)) ? true : undefined
      },
      {
        timeoutMs: 10_000,
        describe: () => `the first mirror to count 3 published revisions and 0 sites behind:\n${metrics}`,
      },
    )
  })

  it('answers the feed on its own port only: the HTTP API’s port knows no feed, the feed’s port nothing else', async () => {
    const authorization = `Bearer ${MIRROR_TOKEN}`
    assert.equal(
      (await fetch(`${syncer.feedUrl}/mirror/v1/revisions`, { headers: { authorization } })).status,
      200,
    )
    assert.equal(
      (await fetch(`${syncer.url}/mirror/v1/revisions`, { headers: { authorization } })).status,
      404,
    )
    assert.equal((await fetch(`${syncer.url}/readyz`)).status, 200)
    for (const path of ['/readyz', '/metrics'])
      assert.equal(
        (await fetch(`${syncer.feedUrl}${path}`, { headers: { authorization } })).status,
        404,
        path,
      )
  })

  it('refuses a wrong token: the feed answers 401, and a mirror holding it serves nothing and says why', async () => {
    for (const authorization of ['Bearer wrong', `Basic ${MIRROR_TOKEN}`, ''])
      assert.equal(
        (
          await fetch(`${syncer.feedUrl}/mirror/v1/revisions`, {
            headers: authorization ? { authorization } : {},
          })
        ).status,
        401,
      )
    const wrong = await mirrorIn('wrong-token', { token: 'wrong' })
    others.push(wrong.process)
    await logContains(wrong, 'HP_ERR_MIRROR_UNAUTHORIZED')
    assert.equal((await fetch(`${wrong.url}/readyz`)).status, 503)
    assert.deepEqual(await sitesIn(wrong.root), [])
  })

  it('refuses files altered on the way: a mirror behind a tampering proxy never serves them', async () => {
    const proxy = await tamperingProxy(syncer.feedUrl)
    others.push(proxy)
    const tampered = await mirrorIn('tampered', { syncerUrl: proxy.url })
    others.push(tampered.process)
    await logContains(tampered, 'HP_ERR_MIRROR_BLOB_MISMATCH')
    assert.equal((await fetch(`${tampered.url}/readyz`)).status, 503)
    assert.deepEqual(await sitesIn(tampered.root), [])
    assert.deepEqual(await readdir(join(tampered.root, '.hostplane', 'trees')), [])
  })

  it('catches up after a SIGKILL of a mirror and a restart of the syncer, and removes a deleted site', async () => {
    const [first, second] = mirrors as [Replica, Replica]
    process.kill(second.process.pid, 'SIGKILL')
    await second.process.stop()
    await syncer.process.stop()
    // The syncer is away: the first replica keeps serving its last revision, and stays ready.
    assert.equal(await servedRevision(first.root, A), 1)
    assert.equal((await fetch(`${first.url}/readyz`)).status, 200)

    syncer = await startSyncer(syncer.ports)
    await publish(2)
    await admin.request('DELETE', sitePath(namespace, 'b'))
    await untilServed(first.root, A, 2)
    await waitFor(async () => ((await sitesIn(first.root)).includes(B) ? undefined : true), {
      timeoutMs: 30_000,
      describe: () => `${B} was not removed from the first replica`,
    })

    const restarted = await mirrorIn('mirror-2')
    mirrors[1] = restarted
    await ready(restarted.url, restarted.process)
    assert.equal(await servedRevision(restarted.root, A), 2)
    assert.deepEqual(await sitesIn(restarted.root), [A])
    assert.deepEqual(await readdir(join(restarted.root, '.hostplane', 'trees')), [A])
  })

  it(
    `answers every request on every replica with one complete revision while ${PUBLISHES} revisions publish`,
    { skip: noNginx },
    async () => {
      const nginxes: RunningNginx[] = []
      for (const mirror of mirrors)
        nginxes.push(await startNginx({ root: mirror.root, workDir: join(mirror.root, '..', 'nginx') }))
      others.push(...nginxes)
      const loads = nginxes.map((nginx) => startLoad(nginx.port, A))
      let publishesWithResponses = 0
      const last = 2 + PUBLISHES
      for (let revision = 3; revision <= last; revision++) {
        const before = loads.map((load) => load.responses())
        await publish(revision)
        for (const mirror of mirrors) await untilServed(mirror.root, A, revision)
        if (loads.every((load, i) => load.responses() > (before[i] as number))) publishesWithResponses++
      }
      // nginx keeps open files for a second: the readers see the last revision shortly after.
      for (const load of loads)
        await waitFor(() => (load.newest() === last ? true : undefined), {
          timeoutMs: 10_000,
          describe: () => `the readers never saw revision ${last}`,
        })
      const results = await Promise.all(loads.map((load) => load.stop()))
      for (const [i, result] of results.entries()) {
        assert.deepEqual(result.torn, [], `replica ${i + 1}: torn responses`)
        assert.deepEqual(result.missing, [], `replica ${i + 1}: missing responses`)
        assert.ok(result.responses > 100, `replica ${i + 1}: only ${result.responses} responses`)
      }
      assert.ok(
        publishesWithResponses >= PUBLISHES * 0.75,
        `responses completed on every replica during only ${publishesWithResponses} of ${PUBLISHES} publishes`,
      )
    },
  )
})
