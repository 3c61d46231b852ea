/**
 * Build Jobs on a real API server, with the real Job controller. There is no kubelet: the test
 * plays it for the Pod the Job controller creates, writing the Pod's status as a kubelet would
 * (each container terminated, the pusher's termination message the pushed digest, the failed
 * build container's its log tail). The runner runs with its own ServiceAccount and the Role the
 * install grants. The admission policies judge every Pod: the exact builder shapes pass, each
 * loosened variant is refused with the policy's message, and a builder Pod outside the build
 * namespace is refused.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { renderBuildPodPolicies } from '../../src/admission/build-pods.js'
import { containerOf, type FixturePodSpec, fixtureJob, podOf } from '../../src/build/jobs/fixtures.js'
import { renderBuildNamespace, renderBuildRunnerRbac } from '../../src/build/jobs/namespace.js'
import { CONTAINER } from '../../src/build/jobs/names.js'
import {
  type BuildJobRequest,
  type BuildOutcome,
  runBuildJob,
  type RunBuildOptions,
} from '../../src/build/jobs/run.js'
import { BUILD_NAMESPACE, buildSettings } from '../../src/build/jobs/settings.js'
import { manifestPath } from '../../src/kube/manifest-path.js'
import type { KubeList, Manifest } from '../../src/kube/object.js'
import { KubeApiError, KubeRest, resourcePath } from '../../src/kube/rest.js'
import { CUSTOMER_LABEL } from '../../src/operator/customer/names.js'
import { type BuildLimits, buildLimits } from '../../src/operator/customer/tiers.js'
import type { TestCluster } from '../cluster/cluster.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { waitFor } from '../cluster/process.js'
import { type ContainerEnd, finishPod } from '../cluster/job-pod.js'

const env = await clusterForTests()
const settings = buildSettings()
const PODS = resourcePath({ apiVersion: 'v1', plural: 'pods', namespace: BUILD_NAMESPACE })
const DIGEST = `sha256:${'5e'.repeat(32)}`

/** The API server's answer to a write: `admitted`, or the message of its refusal. */
const outcome = (request: Promise<unknown>): Promise<string> =>
  request.then(
    () => 'admitted',
    (error: unknown) => {
      if (error instanceof KubeApiError && (error.status === 403 || error.status === 422))
        return error.statusMessage
      throw error
    },
  )

interface Pod extends Manifest {
  spec: FixturePodSpec
  status?: { phase?: string }
}

describe('build Jobs on a real API server', { skip: env.skip }, () => {
  let cluster: TestCluster
  let admin: KubeRest
  let runner: KubeRest
  const id = randomBytes(3).toString('hex')
  const runnerNamespace = `build-runner-${id}`
  const tenantNamespace = `sh-bj-${id}`
  const apply = (object: Manifest) =>
    admin.apply(manifestPath(object), object, { fieldManager: 'hostplane-test' })

  const request = (customer: string, overrides: Partial<BuildJobRequest> = {}): BuildJobRequest => ({
    customer: `${customer}-${id}`,
    webspace: 'shop',
    commit: randomBytes(20).toString('hex'),
    strategy: 'dockerfile',
    tier: 'shared',
    size: 'small',
    sourceUrl: 'http://hostplane-gitserver.hostplane-system:8080/source/one-time',
    dockerfile: 'FROM alpine\nRUN echo hi\n',
    target: {
      registry: 'registry.hostplane-system:5000',
      repository: `hostplane/${customer}`,
      tag: 'shop-1',
    },
    credentials: { username: customer, password: 'short-lived' },
    ...overrides,
  })
  const fast = (limits: Partial<BuildLimits> = {}): RunBuildOptions => ({
    settings,
    pollMs: 200,
    queueMs: 1500,
    graceMs: 20_000,
    limits: (tier, size) => ({ ...buildLimits(tier, size), ...limits }),
  })

  /** The build Pod the Job controller made for a customer, once it exists. */
  const podFor = (customer: string): Promise<Pod> =>
    waitFor(
      async () => {
        const list = await admin.request<KubeList<Pod>>('GET', PODS, {
          query: { labelSelector: `${CUSTOMER_LABEL}=${customer}` },
        })
        return list.items.find(
          (p) => !p.metadata.deletionTimestamp && !p.status?.phase?.match(/Succeeded|Failed/),
        )
      },
      { timeoutMs: 30_000, intervalMs: 200, describe: () => `no build Pod for ${customer}` },
    )

  /** Plays the kubelet: every container of the Pod ran, and ended as `ends` says (exit code, message). */
  const finish = (pod: Pod, ends: Record<string, ContainerEnd>) => finishPod(admin, pod, ends)
  const allSucceed = (pod: Pod) =>
    Object.fromEntries(
      [...pod.spec.initContainers, ...pod.spec.containers].map((c) => [
        c.name,
        { exitCode: 0, message: c.name === CONTAINER.push ? `${DIGEST}\n` : undefined },
      ]),
    )

  /** What the API server (its admission included) says to creating this Pod, without creating it. */
  const dryRunPod = (object: Manifest, namespace: string) =>
    outcome(
      admin.request('POST', resourcePath({ apiVersion: 'v1', plural: 'pods', namespace }), {
        body: { ...object, metadata: { ...object.metadata, namespace } },
        query: { dryRun: 'All' },
      }),
    )

  before(async () => {
    cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    for (const object of [
      ...renderBuildNamespace({
        namespace: BUILD_NAMESPACE,
        systemNamespace: 'hostplane-system',
        egress: [],
      }),
      ...renderBuildPodPolicies(settings),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: runnerNamespace } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: tenantNamespace } },
    ])
      await apply(object)
    const [role, binding] = renderBuildRunnerRbac(BUILD_NAMESPACE, {
      namespace: runnerNamespace,
      name: 'gitserver',
    }) as [Manifest, Manifest]
    await apply(role)
    await apply({ ...binding, metadata: { ...binding.metadata, name: `${binding.metadata.name}-${id}` } })
    runner = new KubeRest((await cluster.serviceAccountKubeConfig(runnerNamespace, 'gitserver')).kubeConfig)
    // The API server reads each policy and binding from its own cache: wait until both are
    // enforced — a loosened Pod refused in the build namespace, a builder Pod outside it.
    const loosened = podOf(fixtureJob('dockerfile'))
    loosened.spec.hostNetwork = true
    const refused = async (object: Manifest, namespace: string) =>
      (await dryRunPod(object, namespace)) !== 'admitted'
    await waitFor(
      async () =>
        ((await refused(loosened, BUILD_NAMESPACE)) &&
          (await refused(podOf(fixtureJob('dockerfile')), runnerNamespace))) ||
        undefined,
      { timeoutMs: 15_000, intervalMs: 200, describe: () => 'the build Pod policies are not enforced yet' },
    )
  })

  after(async () => {
    for (const namespace of [runnerNamespace, tenantNamespace])
      await admin
        .request('DELETE', resourcePath({ apiVersion: 'v1', plural: 'namespaces', name: namespace }))
        .catch(() => {})
    await env.release()
  })

  describe('admission', () => {
    const create = (object: Manifest, namespace = BUILD_NAMESPACE) => dryRunPod(object, namespace)

    for (const strategy of ['buildpacks', 'dockerfile'] as const)
      it(`admits the exact ${strategy} build Pod and Job`, async () => {
        assert.equal(await create(podOf(fixtureJob(strategy))), 'admitted')
        const job = fixtureJob(strategy)
        assert.equal(
          await outcome(
            admin.request(
              'POST',
              resourcePath({ apiVersion: 'batch/v1', plural: 'jobs', namespace: BUILD_NAMESPACE }),
              {
                body: job,
                query: { dryRun: 'All' },
              },
            ),
          ),
          'admitted',
        )
      })

    const variants: [string, (spec: FixturePodSpec) => void, string][] = [
      [
        'a hostPath volume',
        (s) => {
          s.volumes.push({ name: 'host', hostPath: { path: '/var/run' } })
          containerOf(s, 'build').volumeMounts.push({ name: 'host', mountPath: '/host' })
        },
        'build Pods may use only emptyDir volumes with a sizeLimit and the push Secret volume registry-auth; not so: host',
      ],
      [
        'the registry Secret in the build container',
        (s) => containerOf(s, 'build').volumeMounts.push({ name: 'registry-auth', mountPath: '/creds' }),
        'only the push container may see the registry credential (no Secret volume, envFrom or valueFrom elsewhere); not so: build',
      ],
      [
        'an unpinned image',
        (s) => (containerOf(s, 'build').image = 'moby/buildkit:rootless'),
        'containers must run the builder images pinned by digest in the install; not so: build',
      ],
      [
        'an extra capability',
        (s) => (containerOf(s, 'push').securityContext.capabilities = { drop: ['ALL'], add: ['NET_ADMIN'] }),
        "containers drop ALL capabilities and add none (rootless BuildKit's build container adds exactly SETUID and SETGID); not so: push",
      ],
      [
        'a ServiceAccount token',
        (s) => (s.automountServiceAccountToken = true),
        'build Pods get no ServiceAccount token (automountServiceAccountToken: false)',
      ],
      [
        'the host network',
        (s) => (s.hostNetwork = true),
        "build Pods may not use the host's network, PID or IPC namespace",
      ],
    ]
    for (const [what, change, message] of variants)
      it(`refuses a build Pod with ${what}, saying why`, async () => {
        const pod = podOf(fixtureJob('dockerfile'))
        change(pod.spec)
        const answer = await create(pod)
        assert.ok(answer.endsWith(`build namespace ${BUILD_NAMESPACE}: ${message}`), answer)
      })

    it('refuses a privileged pusher (this API server itself, started with --allow-privileged=false, before admission)', async () => {
      // k3s allows privileged containers, so there the policy refuses it: src/admission/build-pods.test.ts
      // proves its message, "containers run as non-root, never privileged … not so: push".
      const pod = podOf(fixtureJob('dockerfile'))
      Object.assign(containerOf(pod.spec, 'push').securityContext, {
        privileged: true,
        allowPrivilegeEscalation: true,
      })
      assert.match(await create(pod), /spec\.containers\[0\]\.securityContext\.privileged: Forbidden/)
    })

    it('refuses the exact build Pod in a tenant namespace', async () => {
      const answer = await create(podOf(fixtureJob('dockerfile')), tenantNamespace)
      assert.ok(
        answer.endsWith(
          `builder Pods run only in namespace ${BUILD_NAMESPACE}, never in ${tenantNamespace}: this one is labelled as a hostplane build or runs a builder image`,
        ),
        answer,
      )
    })
  })

  describe('the runner', () => {
    it('answers with the pushed digest when the build succeeds, and deletes the push Secret', async () => {
      const build = request('ok')
      const running = runBuildJob(runner, build, fast())
      const pod = await podFor(build.customer)
      const secret = await admin.request<Manifest>(
        'GET',
        resourcePath({
          apiVersion: 'v1',
          plural: 'secrets',
          namespace: BUILD_NAMESPACE,
          name: `${pod.metadata.labels?.['batch.kubernetes.io/job-name']}-push`,
        }),
      )
      assert.deepEqual(Object.keys((secret as { data?: object }).data ?? {}), ['auth.json'])
      await finish(pod, allSucceed(pod))
      const result = await running
      assert.deepEqual(result, {
        ok: true,
        image: `registry.hostplane-system:5000/hostplane/ok@${DIGEST}`,
        digest: DIGEST,
        logTail: '',
        job: pod.metadata.labels?.['batch.kubernetes.io/job-name'],
      })
      const secrets = await admin.request<KubeList<Manifest>>(
        'GET',
        resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace: BUILD_NAMESPACE }),
        { query: { labelSelector: `${CUSTOMER_LABEL}=${build.customer}` } },
      )
      assert.deepEqual(secrets.items, [])
    })

    it('answers with the reason and the build log tail when the build fails', async () => {
      const build = request('fails', { strategy: 'buildpacks', dockerfile: undefined })
      const running = runBuildJob(runner, build, fast())
      const pod = await podFor(build.customer)
      const tail = '===> BUILDING\nnpm ERR! missing script: build\nERROR: failed to build: exit status 1'
      await finish(pod, {
        fetch: { exitCode: 0 },
        'run-image': { exitCode: 0 },
        build: { exitCode: 51, message: tail },
      })
      const result = await running
      assert.deepEqual(result, {
        ok: false,
        failure: 'Failed',
        reason: 'the build failed: build exited with code 51',
        logTail: tail,
        job: pod.metadata.labels?.['batch.kubernetes.io/job-name'],
      })
    })

    it('stops a build at the tier’s deadline and says so', async () => {
      const build = request('slow')
      const result: BuildOutcome = await runBuildJob(runner, build, fast({ deadlineSeconds: 2 }))
      assert.equal(result.ok, false)
      assert.deepEqual(result.ok ? undefined : [result.failure, result.reason], [
        'DeadlineExceeded',
        'the build ran longer than the 2 s a build may take on shared/small, and was stopped',
      ])
    })

    it('refuses a Dockerfile with a syntax directive before any Job exists', async () => {
      const build = request('syntax', { dockerfile: '# syntax=evil/frontend:1\nFROM alpine\n' })
      const result = await runBuildJob(runner, build, fast())
      assert.equal(result.ok ? '' : result.failure, 'Refused')
      const jobs = await admin.request<KubeList<Manifest>>(
        'GET',
        resourcePath({ apiVersion: 'batch/v1', plural: 'jobs', namespace: BUILD_NAMESPACE }),
        { query: { labelSelector: `${CUSTOMER_LABEL}=${build.customer}` } },
      )
      assert.deepEqual(jobs.items, [])
    })

    it('runs one build at a time for a small customer: the next waits for it, or is refused when the wait ends', async () => {
      const first = request('busy')
      const firstRun = runBuildJob(runner, first, fast())
      const firstPod = await podFor(first.customer)

      const refused = await runBuildJob(runner, { ...first, commit: randomBytes(20).toString('hex') }, fast())
      assert.deepEqual(refused, {
        ok: false,
        failure: 'Busy',
        reason: `customer ${first.customer} already runs 1 build, the most at once for shared/small; this push was not built: push again when the running build has finished`,
        logTail: '',
      })

      const lines: string[] = []
      const second = runBuildJob(
        runner,
        { ...first, commit: randomBytes(20).toString('hex') },
        { ...fast(), queueMs: 60_000, log: (line) => lines.push(line) },
      )
      await waitFor(async () => lines.length > 0 || undefined, {
        timeoutMs: 10_000,
        intervalMs: 100,
        describe: () => 'the second build never said it waits',
      })
      assert.match(
        lines[0] ?? '',
        /^waiting for one of busy-\w+'s running builds to finish \(shared\/small runs 1 at once\)$/,
      )
      await finish(firstPod, allSucceed(firstPod))
      assert.equal((await firstRun).ok, true)
      const secondPod = await podFor(first.customer)
      await finish(secondPod, allSucceed(secondPod))
      assert.equal((await second).ok, true)
    })
  })
})
