import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Manifest } from '../kube/object.js'
import { containerOf, type FixturePodSpec as PodSpec, fixtureJob, podOf } from '../build/jobs/fixtures.js'
import { buildSettings } from '../build/jobs/settings.js'
import { renderBuildPodPolicies } from './build-pods.js'
import { evaluatePolicy, type Verdict } from './evaluate-policy.js'

const settings = buildSettings()
const [policy, binding, elsewhere, elsewhereBinding] = renderBuildPodPolicies(settings) as [
  Manifest,
  Manifest,
  Manifest,
  Manifest,
]

const job = fixtureJob
const container = containerOf
const create = (object: unknown, namespace = 'hostplane-builds', which = policy): Verdict =>
  evaluatePolicy(which, { object, params: null, request: { operation: 'CREATE', namespace } })
const refusal = (verdict: Verdict) => (verdict.allowed ? 'admitted' : verdict.message)

describe('build Pod admission policy', () => {
  for (const strategy of ['buildpacks', 'dockerfile'] as const) {
    it(`admits the ${strategy} Job and its Pod exactly as rendered`, () => {
      assert.deepEqual(create(job(strategy)), { allowed: true })
      assert.deepEqual(create(podOf(job(strategy))), { allowed: true })
    })
  }

  const variants: [string, (spec: PodSpec) => void, string][] = [
    [
      'a privileged pusher',
      (s) => (container(s, 'push').securityContext.privileged = true),
      'containers run as non-root, never privileged, with the default /proc and no host port; not so: push',
    ],
    [
      'a hostPath volume',
      (s) => {
        s.volumes.push({ name: 'host', hostPath: { path: '/var/run' } })
        container(s, 'build').volumeMounts.push({ name: 'host', mountPath: '/host' })
      },
      'build Pods may use only emptyDir volumes with a sizeLimit and the push Secret volume registry-auth; not so: host',
    ],
    [
      'the registry Secret mounted in the build container',
      (s) => container(s, 'build').volumeMounts.push({ name: 'registry-auth', mountPath: '/creds' }),
      'only the push container may see the registry credential (no Secret volume, envFrom or valueFrom elsewhere); not so: build',
    ],
    [
      'a Secret in the build container’s environment',
      (s) =>
        (container(s, 'build').env = [
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'shop-push', key: 'auth.json' } } },
        ]),
      'only the push container may see the registry credential (no Secret volume, envFrom or valueFrom elsewhere); not so: build',
    ],
    [
      'an unpinned build image',
      (s) => (container(s, 'build').image = 'moby/buildkit:rootless'),
      'containers must run the builder images pinned by digest in the install; not so: build',
    ],
    [
      'another image pinned by digest',
      (s) => (container(s, 'push').image = `docker.io/library/alpine@sha256:${'1'.repeat(64)}`),
      'containers must run the builder images pinned by digest in the install; not so: push',
    ],
    [
      'an extra capability on the build container',
      (s) => (container(s, 'build').securityContext.capabilities = { add: ['SYS_ADMIN'] }),
      'containers drop ALL capabilities and add none (rootless BuildKit’s build container adds exactly SETUID and SETGID); not so: build',
    ],
    [
      'BuildKit’s SETUID on the pusher',
      (s) =>
        (container(s, 'push').securityContext.capabilities = { drop: ['ALL'], add: ['SETUID', 'SETGID'] }),
      'containers drop ALL capabilities and add none (rootless BuildKit’s build container adds exactly SETUID and SETGID); not so: push',
    ],
    [
      'privilege escalation in the fetcher',
      (s) => (container(s, 'fetch').securityContext.allowPrivilegeEscalation = true),
      'containers must set allowPrivilegeEscalation: false (only rootless BuildKit’s build container may escalate, for newuidmap); not so: fetch',
    ],
    [
      'an unconfined seccomp profile on the pusher',
      (s) => (container(s, 'push').securityContext.seccompProfile = { type: 'Unconfined' }),
      'containers keep the RuntimeDefault seccomp and AppArmor profiles (rootless BuildKit’s build container runs seccomp-unconfined, for its user namespace); not so: push',
    ],
    [
      'a root user',
      (s) => (container(s, 'fetch').securityContext.runAsUser = 0),
      'containers run as non-root, never privileged, with the default /proc and no host port; not so: fetch',
    ],
    [
      'the host network',
      (s) => (s.hostNetwork = true),
      'build Pods may not use the host’s network, PID or IPC namespace',
    ],
    [
      'the host PID namespace',
      (s) => (s.hostPID = true),
      'build Pods may not use the host’s network, PID or IPC namespace',
    ],
    [
      'a ServiceAccount token',
      (s) => delete s.automountServiceAccountToken,
      'build Pods get no ServiceAccount token (automountServiceAccountToken: false)',
    ],
    [
      'an extra container',
      (s) => s.containers.push({ ...container(s, 'push'), name: 'sidecar' }),
      'a build Pod runs the init containers fetch, [run-image,] build and the one container push',
    ],
    [
      'a container without limits',
      (s) => delete container(s, 'build').resources,
      'every container sets CPU and memory requests and CPU, memory and ephemeral-storage limits; not so: build',
    ],
  ]
  for (const [what, change, message] of variants)
    it(`refuses a build Pod with ${what}`, () => {
      const pod = podOf(job('dockerfile'))
      change(pod.spec)
      assert.equal(refusal(create(pod)), `build namespace hostplane-builds: ${message}`.replaceAll('’', "'"))
    })

  it('refuses a Job that would retry or run without a deadline', () => {
    const j = job('buildpacks')
    ;(j.spec as unknown as Record<string, unknown>).backoffLimit = 3
    assert.equal(
      refusal(create(j)),
      'build namespace hostplane-builds: a build Job runs once (backoffLimit 0), with activeDeadlineSeconds and ttlSecondsAfterFinished',
    )
  })

  it('refuses a Pod that is not a labelled hostplane build', () => {
    const pod = podOf(job('buildpacks'))
    pod.metadata.labels = {
      ...pod.metadata.labels,
      'hostplane.dev/customer': undefined,
    } as unknown as Record<string, string>
    delete pod.metadata.labels['hostplane.dev/customer']
    assert.match(
      refusal(create(pod)),
      /^build namespace hostplane-builds runs only hostplane build Jobs: labels/,
    )
  })

  it('judges an update only when it changes the spec (the Job controller removing its finalizer passes)', () => {
    const pod = podOf(job('dockerfile'))
    const stale = structuredClone(pod)
    container(stale.spec, 'build').image = 'moby/buildkit:old'
    const update = (object: unknown, oldObject: unknown) =>
      evaluatePolicy(policy, {
        object,
        oldObject,
        params: null,
        request: { operation: 'UPDATE', namespace: 'hostplane-builds' },
      })
    assert.deepEqual(update(stale, stale), { allowed: true })
    assert.equal(update(stale, pod).allowed, false)
  })

  it('is bound to the build namespace only', () =>
    assert.deepEqual(binding.spec, {
      policyName: 'hostplane.dev-build-pods',
      validationActions: ['Deny'],
      matchResources: {
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['hostplane-builds'] },
          ],
        },
      },
    }))
})

describe('builders outside the build namespace', () => {
  it('refuses a build Pod in a tenant namespace', () =>
    assert.equal(
      refusal(create(podOf(job('dockerfile')), 'sh-acme', elsewhere)),
      'builder Pods run only in namespace hostplane-builds, never in sh-acme: this one is labelled as a hostplane build or runs a builder image',
    ))

  it('refuses an unlabelled Pod running the pinned BuildKit image elsewhere', () => {
    const pod = podOf(job('dockerfile'))
    pod.metadata.labels = {}
    assert.equal(create(pod, 'sh-acme', elsewhere).allowed, false)
  })

  it('admits any other Pod', () =>
    assert.deepEqual(
      create(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'web' },
          spec: { containers: [{ name: 'web', image: 'nginx' }] },
        },
        'sh-acme',
        elsewhere,
      ),
      { allowed: true },
    ))

  it('is bound to every namespace but the build namespace', () =>
    assert.deepEqual((elsewhereBinding.spec as { matchResources: unknown }).matchResources, {
      namespaceSelector: {
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['hostplane-builds'] },
        ],
      },
    }))
})
