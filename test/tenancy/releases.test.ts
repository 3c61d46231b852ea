/**
 * Releases and health-gated rollouts on a real API server, with the real Deployment and
 * ReplicaSet controllers. No kubelet runs: the test plays it by writing a Pod's status Ready (so
 * the Deployment becomes Available), or leaves the Pods of a bad Release unready so the
 * Deployment misses its progress deadline and the operator rolls back. Releases are created as
 * the build gate creates them (an admin client); the tenant's own credentials read them, may
 * not write them, and roll back with `hostplane rollback`'s code.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { API_VERSION } from '../../src/api/kind.js'
import { API_WRITES_METRIC } from '../../src/kube/api-writes.js'
import { branchHash, releaseLabels, releaseName } from '../../src/api/release.js'
import type { Release, Webspace } from '../../src/api/resources.js'
import type { WebspaceSpec } from '../../src/api/webspace.js'
import { listReleases, rollback } from '../../src/cli/release-commands.js'
import { findCondition } from '../../src/kube/conditions.js'
import type { KubeList } from '../../src/kube/object.js'
import { KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import type { Operator } from '../../src/operator/operator.js'
import { REASON as CUSTOMER_REASON } from '../../src/operator/customer/conditions.js'
import { customerGroup } from '../../src/operator/customer/names.js'
import { REASON } from '../../src/operator/webspace/conditions.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { sleep } from '../cluster/process.js'
import { appImage, OperatorEnv } from '../operator/harness.js'

const env = await clusterForTests()
const DEADLINE_SECONDS = 10

describe('Releases and health-gated rollouts on a real API server', { skip: env.skip }, () => {
  let test: OperatorEnv
  let operator: Operator
  let runtime: string
  let tenant: KubeRest
  const customer = () => `rel-${test.tag}`
  const namespace = () => `sh-${customer()}`
  const releasesPath = (name?: string) =>
    resourcePath({ apiVersion: API_VERSION, plural: 'releases', namespace: namespace(), name })
  const createWebspace = (name: string, spec: Partial<WebspaceSpec> = {}) =>
    test.createWebspace(namespace(), name, { runtime, ...spec })
  const released = (w: Webspace) => findCondition(w.status?.conditions, 'Released')
  const waitFor = (name: string, what: string, check: (w: Webspace) => boolean, timeoutMs = 40_000) =>
    test.waitUntil(
      `${namespace()}/${name}: ${what}`,
      async () => {
        const webspace = await test.admin.request<Webspace>('GET', test.webspacePath(namespace(), name))
        return webspace.status?.observedGeneration === webspace.metadata.generation && check(webspace)
          ? webspace
          : undefined
      },
      timeoutMs,
    )

  /** A Release as the build gate makes it: commit `<digit>` repeated, image digest of the same digit. */
  const push = async (webspace: string, digit: string, branch = 'main'): Promise<Release> => {
    const spec: Release['spec'] = {
      webspace,
      branch,
      commit: digit.repeat(40),
      image: `registry.test/hostplane/${customer()}@sha256:${digit.repeat(64)}`,
      strategy: 'layer',
      pushedBy: { customer: customer(), fingerprint: `SHA256:${'Q'.repeat(43)}`, key: 'laptop' },
      buildLog: { digest: `sha256:${digit.repeat(64)}` },
    }
    const created = await test.admin.request<Release>('POST', releasesPath(), {
      body: {
        apiVersion: API_VERSION,
        kind: 'Release',
        metadata: { name: releaseName(spec), labels: releaseLabels(spec) },
        spec,
      },
    })
    // Creation times have second precision: the next push is newer.
    await sleep(1100)
    return created
  }

  const deployment = (name: string) => test.webspaceDeployment(namespace(), name)
  const podsReady = (webspace: string, image: string) => test.podsReady(namespace(), webspace, image)

  before(async () => {
    const cluster = await env.get()
    test = new OperatorEnv(cluster, new KubeRest(cluster.kubeConfig()), 'rel')
    await test.setUp()
    runtime = await test.createRuntime()
    operator = await test.startOperator({
      resyncMs: 1000,
      config: { ...test.config, previewDomain: 'preview.test' },
    })
    await test.createCustomer(customer(), { size: 'large' })
    await test.waitForCustomer(customer(), 'Ready', 'True', CUSTOMER_REASON.Ready)
    tenant = new KubeRest(await cluster.userKubeConfig(`dev-${test.tag}`, [customerGroup(customer())]))
  })

  after(async () => {
    tenant?.close()
    await operator?.stop()
    await test?.tearDown()
    test?.admin.close()
    await env.release()
  })

  it('runs a pushed Release pinned to its digest; one that never becomes Available is rolled back by itself, with a condition and an Event naming both', async () => {
    await createWebspace('app', { replicas: 1, rollout: { progressDeadlineSeconds: DEADLINE_SECONDS } })
    const good = await push('app', '1')
    const rolling = await waitFor(
      'app',
      'rolling out the first Release',
      (w) => w.status?.release === good.metadata.name,
    )
    assert.equal(released(rolling)?.reason, REASON.RolloutInProgress)
    assert.equal(appImage(await deployment('app')), good.spec.image)
    await podsReady('app', good.spec.image)
    const complete = await waitFor(
      'app',
      'RolloutComplete',
      (w) => released(w)?.reason === REASON.RolloutComplete,
    )
    assert.equal(complete.status?.image, good.spec.image)

    const bad = await push('app', '2')
    await waitFor('app', 'rolling out the bad Release', (w) => w.status?.release === bad.metadata.name)
    assert.equal(appImage(await deployment('app')), bad.spec.image)
    // Its Pods never report Ready: the Deployment controller gives up after the deadline.
    const back = await waitFor('app', 'RolledBack', (w) => released(w)?.reason === REASON.RolledBack, 60_000)
    assert.equal(released(back)?.status, 'False')
    assert.match(
      released(back)?.message ?? '',
      new RegExp(
        `^Release ${bad.metadata.name} \\(222222222222\\) made no progress to Available within ${DEADLINE_SECONDS}s \\(.*\\): rolled back to Release ${good.metadata.name} \\(111111111111\\)$`,
      ),
    )
    assert.deepEqual(
      [back.status?.release, back.status?.previousRelease, back.status?.failedReleases, back.status?.image],
      [good.metadata.name, bad.metadata.name, [bad.metadata.name], good.spec.image],
    )
    assert.equal(appImage(await deployment('app')), good.spec.image)
    const reasons = await test.eventReasons('Webspace', 'app', namespace())
    assert.ok(
      reasons.includes(REASON.RolledBack),
      `kubectl describe shows the rollback: ${reasons.join(', ')}`,
    )
    const event = await test.event(namespace(), REASON.RolledBack)
    assert.equal(event?.type, 'Warning')
    assert.match(
      event?.note ?? '',
      new RegExp(`${bad.metadata.name}.*rolled back to Release ${good.metadata.name}`),
    )

    // The failed Release is not tried again.
    await sleep(3000)
    assert.equal(appImage(await deployment('app')), good.spec.image)
  })

  it('a tenant reads Releases but can neither create, change nor delete one', async () => {
    const listed = await tenant.request<KubeList<Release>>('GET', releasesPath())
    assert.ok(listed.items.length >= 2)
    const [one] = listed.items
    assert.ok(one)
    const refused = async (request: Promise<unknown>) => {
      const error = await request.then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(error instanceof KubeApiError && error.status === 403, `expected 403, got ${String(error)}`)
    }
    await refused(
      tenant.request('POST', releasesPath(), {
        body: { ...one, metadata: { name: 'forged', labels: one.metadata.labels } },
      }),
    )
    await refused(
      tenant.request('PATCH', releasesPath(one.metadata.name), {
        body: { metadata: { labels: { 'hostplane.dev/webspace': 'other' } } },
        contentType: 'application/merge-patch+json',
      }),
    )
    await refused(tenant.request('DELETE', releasesPath(one.metadata.name)))
  })

  it('`hostplane releases` and `hostplane rollback` with the tenant’s credentials: a manual rollback is rolled out like a push', async () => {
    const good = releaseName({ webspace: 'app', branch: 'main', commit: '1'.repeat(40) })
    const bad = releaseName({ webspace: 'app', branch: 'main', commit: '2'.repeat(40) })
    const fixed = await push('app', '3')
    await waitFor('app', 'rolling out the fix', (w) => w.status?.release === fixed.metadata.name)
    await podsReady('app', fixed.spec.image)
    await waitFor('app', 'fix complete', (w) => released(w)?.reason === REASON.RolloutComplete)

    const table = await listReleases(tenant, namespace(), 'app', new Date())
    const lines = table.split('\n')
    assert.match(lines[0] ?? '', /^NAME +BRANCH +COMMIT +IMAGE +PUSHED BY +AGE +STATE$/)
    assert.deepEqual(
      lines.slice(1).map((line) => [line.split(/ +/)[0], line.split(/ +/).at(-1)]),
      [
        [fixed.metadata.name, 'running'],
        [bad, 'failed'],
        [good, 'previous'],
      ],
    )
    assert.match(
      lines[1] ?? '',
      / main +333333333333 +registry\.test\/hostplane\/rel-\w+@sha256:333333333333 +laptop \(SHA256:QQQQQQQQQQQQ…\) +\d+s +running$/,
    )

    await assert.rejects(rollback(tenant, namespace(), 'app', bad), /failed its rollout and was rolled back/)
    await assert.rejects(
      rollback(tenant, namespace(), 'app', 'app-nope'),
      new RegExp(`has no Release app-nope: pick one of ${fixed.metadata.name}`),
    )
    await createWebspace('blog', { replicas: 0 })
    const other = await push('blog', '4')
    await assert.rejects(
      rollback(tenant, namespace(), 'app', other.metadata.name),
      new RegExp(`Release ${other.metadata.name} belongs to webspace blog, not to app`),
    )

    const said = await rollback(tenant, namespace(), 'app', good)
    assert.match(said, new RegExp(`spec.release=${good} \\(main@111111111111\\)`))
    const pinned = await waitFor('app', 'the pinned Release rolling out', (w) => w.status?.release === good)
    assert.equal(pinned.status?.previousRelease, fixed.metadata.name)
    const goodImage = `registry.test/hostplane/${customer()}@sha256:${'1'.repeat(64)}`
    assert.equal(appImage(await deployment('app')), goodImage)
    // Its old Pods are still Ready: the rollout completes.
    await podsReady('app', goodImage)
    await waitFor('app', 'pinned complete', (w) => released(w)?.reason === REASON.RolloutComplete)
    // A newer push does not move a pinned webspace.
    await push('app', '5')
    await sleep(2000)
    assert.equal(appImage(await deployment('app')), goodImage)
  })

  it('prunes Releases beyond releaseHistory, never the running or previous one, and idles without writes', async () => {
    await createWebspace('site', { replicas: 0, releaseHistory: 1 })
    const pushed: Release[] = []
    for (const digit of ['6', '7', '8']) {
      const release = await push('site', digit)
      pushed.push(release)
      await waitFor(
        'site',
        `running ${release.metadata.name}`,
        (w) => w.status?.release === release.metadata.name && released(w)?.reason === REASON.RolloutComplete,
      )
    }
    const names = async () =>
      (
        await test.admin.request<KubeList<Release>>('GET', releasesPath(), {
          query: { labelSelector: 'hostplane.dev/webspace=site' },
        })
      ).items
        .map((r) => r.metadata.name)
        .sort()
    await test.waitUntil('the oldest Release pruned', async () =>
      (await names()).length === 2 ? true : undefined,
    )
    assert.deepEqual(await names(), [pushed[1]?.metadata.name, pushed[2]?.metadata.name].sort())
    const site = await waitFor('site', 'settled', () => true)
    assert.equal(site.status?.previousRelease, pushed[1]?.metadata.name)

    const writes = async () =>
      (await operator.registry.getSingleMetric(API_WRITES_METRIC)?.get())?.values.reduce(
        (sum, v) => sum + v.value,
        0,
      )
    const before = await writes()
    await sleep(2500)
    assert.equal(await writes(), before, 'idle resyncs write nothing')
  })

  it('deploys a pushed branch as a preview without productionOnly env, and removes it when its Releases are gone', async () => {
    await createWebspace('web', {
      replicas: 0,
      git: { branch: 'main', previews: { enabled: true, ttl: '1h' } },
      env: [
        { name: 'APP_ENV', value: 'shared' },
        { name: 'DB_PASSWORD', value: 'production-secret', productionOnly: true },
      ],
    })
    const production = await push('web', 'a')
    const login = await push('web', 'b', 'login')
    const preview = `web-p-${branchHash('login').slice(0, 8)}`
    const live = await test.waitUntil('the preview Deployment', () =>
      deployment(preview).catch(() => undefined),
    )
    assert.equal(appImage(live), login.spec.image)
    const env = live.spec?.template?.spec?.containers?.[0] as { env?: { name: string }[] } | undefined
    assert.deepEqual(
      env?.env?.map((e) => e.name),
      ['APP_ENV'],
    )
    const route = await test.admin.request<{ spec: { routes: { match: string }[] } }>(
      'GET',
      resourcePath({
        apiVersion: 'traefik.io/v1alpha1',
        plural: 'ingressroutes',
        namespace: namespace(),
        name: preview,
      }),
    )
    assert.equal(route.spec.routes[0]?.match, `Host(\`login--web-${namespace()}.preview.test\`)`)
    const web = await waitFor(
      'web',
      'production on its Release',
      (w) => w.status?.release === production.metadata.name,
    )
    assert.equal(appImage(await deployment('web')), production.spec.image)
    assert.equal(web.status?.release, production.metadata.name, 'a preview never becomes the running Release')

    await test.admin.request('DELETE', releasesPath(login.metadata.name))
    await test.waitUntil('the preview removed', () =>
      deployment(preview).then(
        () => undefined,
        (error: unknown) => (error instanceof KubeApiError && error.status === 404 ? true : undefined),
      ),
    )
    assert.equal(appImage(await deployment('web')), production.spec.image)
  })
})
