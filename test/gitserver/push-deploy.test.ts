/**
 * Push to deploy from `git push` to running Pods, on real parts only: the OpenSSH client and git
 * push to `hostplane gitserver` (its own process and ServiceAccount) with a real docker-registry
 * behind hostplane's token auth; its Release is picked up by the operator (its own ServiceAccount
 * and RBAC), whose Deployment then runs exactly the Release's digest. The kubelet is played by
 * the test: the first push's Pods report Ready, the second's never do, and the operator rolls the
 * Webspace back to the first Release by itself. The Customer and its Webspace carry both the
 * operator's selector label and the gitserver's, as an install labels nothing and both see all.
 */
import assert from 'node:assert/strict'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import type { Release, Webspace } from '../../src/api/resources.js'
import { findCondition } from '../../src/kube/conditions.js'
import type { KubeList } from '../../src/kube/object.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import type { Operator } from '../../src/operator/operator.js'
import { REASON } from '../../src/operator/webspace/conditions.js'
import { registrySkipReason, startRegistry, type TestRegistry } from '../build/registry.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { appImage, OperatorEnv } from '../operator/harness.js'
import { GitServerRun, type KeyPair, keyPair, registryArgs } from './harness.js'
import { WEBSPACE_LABEL } from '../../src/api/webspace.js'

const env = await clusterForTests()
const skip = env.skip || (await registrySkipReason())
const DEADLINE_SECONDS = 10

describe(
  'push to deploy: git push → build → Release → the operator runs it, and rolls back a bad one',
  { skip },
  () => {
    let test: OperatorEnv
    let operator: Operator
    let gs: GitServerRun
    let registry: TestRegistry
    let runtime: string
    let key: KeyPair
    const customer = () => `push-${test.tag}`
    const namespace = () => `sh-${customer()}`
    const released = (w: Webspace) => findCondition(w.status?.conditions, 'Released')

    const releases = async () =>
      (
        await test.admin.request<KubeList<Release>>(
          'GET',
          resourcePath({ apiVersion: API_VERSION, plural: 'releases', namespace: namespace() }),
          { query: { labelSelector: `${WEBSPACE_LABEL}=site` } },
        )
      ).items
    const deployment = () => test.webspaceDeployment(namespace(), 'site')
    const waitForSite = (what: string, check: (w: Webspace) => boolean, timeoutMs = 60_000) =>
      test.waitUntil(
        `${namespace()}/site: ${what}`,
        async () => {
          const webspace = await test.admin.request<Webspace>('GET', test.webspacePath(namespace(), 'site'))
          return webspace.status?.observedGeneration === webspace.metadata.generation && check(webspace)
            ? webspace
            : undefined
        },
        timeoutMs,
      )

    /** Pushes one commit of `files` to main and returns the Release the push created. */
    async function pushRelease(name: string, files: Record<string, string>): Promise<Release> {
      const { dir, commit } = await gs.workTree(name, files)
      const pushed = await gs.git(dir, [key.file], ['push', '--force', gs.url(customer()), 'main'])
      assert.equal(pushed.code, 0, pushed.stderr)
      const release = (await releases()).find((r) => r.spec.commit === commit)
      assert.ok(release, `the accepted push of ${commit} has its Release`)
      return release
    }

    before(async () => {
      const cluster = await env.get()
      const admin = new KubeRest(cluster.kubeConfig())
      test = new OperatorEnv(cluster, admin, 'push')
      await test.setUp()
      registry = await startRegistry()
      gs = await GitServerRun.create(cluster, admin)

      runtime = await gs.layerRuntime(registry, AbortSignal.timeout(120_000))
      await mkdir(join(gs.dir, 'keys'))
      key = await keyPair(join(gs.dir, 'keys'), 'laptop')
      operator = await test.startOperator({ resyncMs: 1000 })
      await gs.operatedCustomer(test, customer(), [key.publicKey], {
        runtime,
        replicas: 1,
        rollout: { progressDeadlineSeconds: DEADLINE_SECONDS },
      })
      await gs.start(registryArgs(registry))
    })

    after(async () => {
      await operator?.stop()
      if (gs) {
        if (process.env.HOSTPLANE_TEST_KEEP_LOG) console.error(await gs.log())
        await gs.stop()
        await rm(gs.dir, { recursive: true, force: true })
      }
      await registry?.stop()
      await test?.tearDown()
      test?.admin.close()
      await env.release()
    })

    it('runs the pushed Release by its digest; a second push that never becomes Available is rolled back to the first', async () => {
      const good = await pushRelease('first', { 'index.html': 'first\n' })
      assert.match(
        good.spec.image,
        new RegExp(`^${registry.address}/hostplane/${customer()}@sha256:[0-9a-f]{64}$`),
      )
      await waitForSite('runs the first Release', (w) => w.status?.release === good.metadata.name)
      assert.equal(
        appImage(await deployment()),
        good.spec.image,
        'the Deployment runs exactly the pushed digest',
      )
      await test.podsReady(namespace(), 'site', good.spec.image)
      const complete = await waitForSite(
        'RolloutComplete',
        (w) => released(w)?.reason === REASON.RolloutComplete,
      )
      assert.equal(complete.status?.image, good.spec.image)

      const bad = await pushRelease('second', { 'index.html': 'second\n' })
      assert.notEqual(bad.spec.image, good.spec.image)
      await waitForSite('rolling out the second Release', (w) => w.status?.release === bad.metadata.name)
      assert.equal(appImage(await deployment()), bad.spec.image)

      // Nobody reports the second Release's Pods Ready: the Deployment misses its progress deadline.
      const back = await waitForSite('RolledBack', (w) => released(w)?.reason === REASON.RolledBack, 90_000)
      assert.equal(released(back)?.status, 'False')
      assert.match(
        released(back)?.message ?? '',
        new RegExp(`^Release ${bad.metadata.name} .*rolled back to Release ${good.metadata.name} `),
      )
      assert.deepEqual(
        [back.status?.release, back.status?.failedReleases, back.status?.image],
        [good.metadata.name, [bad.metadata.name], good.spec.image],
      )
      assert.equal(appImage(await deployment()), good.spec.image)
      const event = await test.event(namespace(), REASON.RolledBack)
      assert.equal(event?.type, 'Warning')
      assert.match(
        event?.note ?? '',
        new RegExp(`${bad.metadata.name}.*rolled back to Release ${good.metadata.name}`),
      )
    })
  },
)
