import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildLimits } from '../../operator/customer/tiers.js'
import { dockerfileProblem } from './dockerfile.js'
import { buildJobSpec, COMMIT } from './fixtures.js'
import { buildJobName, CONTAINER, pushSecretName } from './names.js'
import { layoutPath, renderBuildJob, renderPushSecret } from './render.js'
import { buildSettings, DEFAULT_BUILD_IMAGES } from './settings.js'

interface Container {
  name: string
  image: string
  args?: string[]
  env?: { name: string; value?: string; valueFrom?: unknown }[]
  securityContext: Record<string, unknown>
  resources: { limits: Record<string, string> }
  terminationMessagePolicy: string
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]
}
interface PodSpec {
  automountServiceAccountToken: boolean
  securityContext: Record<string, unknown>
  initContainers: Container[]
  containers: Container[]
  volumes: { name: string; emptyDir?: { sizeLimit: string }; secret?: { secretName: string } }[]
}
interface JobSpec {
  backoffLimit: number
  activeDeadlineSeconds: number
  ttlSecondsAfterFinished: number
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec }
}

const settings = buildSettings()
const named = (containers: Container[], name: string): Container => {
  const found = containers.find((c) => c.name === name)
  if (!found) throw new Error(`no container ${name}`)
  return found
}
const render = (strategy: 'buildpacks' | 'dockerfile') => {
  const job = renderBuildJob(buildJobSpec(strategy), settings, 'shop-c0ffee000000-abcdef')
  const spec = job.spec as JobSpec
  return {
    job,
    spec,
    pod: spec.template.spec,
    all: [...spec.template.spec.initContainers, ...spec.template.spec.containers],
  }
}

describe('build Job rendering', () => {
  it('names a Job after the webspace and commit, at most 56 characters, new for each attempt', () => {
    const identity = { customer: 'acme', webspace: 'shop', commit: COMMIT }
    assert.match(buildJobName(identity, 'n1'), /^shop-c0ffee000000-[0-9a-f]{6}$/)
    assert.notEqual(buildJobName(identity, 'n1'), buildJobName(identity, 'n2'))
    const long = buildJobName({ ...identity, webspace: 'a'.repeat(63) }, 'n1')
    assert.equal(long.length, 56)
    assert.equal(pushSecretName(long).length, 61)
  })

  for (const strategy of ['buildpacks', 'dockerfile'] as const) {
    it(`${strategy}: runs fetch, build and push in that order, in the build namespace, once, with the tier's deadline`, () => {
      const { job, spec, pod } = render(strategy)
      assert.equal(job.metadata.namespace, 'hostplane-builds')
      assert.deepEqual(
        pod.initContainers.map((c) => c.name),
        strategy === 'dockerfile' ? ['fetch', 'build'] : ['fetch', 'run-image', 'build'],
      )
      assert.deepEqual(
        pod.containers.map((c) => c.name),
        ['push'],
      )
      assert.equal(spec.backoffLimit, 0)
      assert.equal(spec.activeDeadlineSeconds, buildLimits('shared', 'small').deadlineSeconds)
      assert.equal(spec.ttlSecondsAfterFinished, 3600)
      assert.deepEqual(spec.template.metadata.labels, job.metadata.labels)
      assert.deepEqual(job.metadata.labels, {
        'app.kubernetes.io/managed-by': 'hostplane',
        'app.kubernetes.io/component': 'build',
        'hostplane.dev/customer': 'acme',
        'hostplane.dev/webspace': 'shop',
        'hostplane.dev/commit': COMMIT,
        'hostplane.dev/build-strategy': strategy,
      })
    })

    it(`${strategy}: mounts the registry credential in the pusher only, and gives no ServiceAccount token`, () => {
      const { pod, all } = render(strategy)
      assert.equal(pod.automountServiceAccountToken, false)
      const secretVolumes = pod.volumes.filter((v) => v.secret).map((v) => v.name)
      assert.deepEqual(secretVolumes, ['registry-auth'])
      for (const container of all) {
        const mounted = container.volumeMounts.some((m) => secretVolumes.includes(m.name))
        assert.equal(mounted, container.name === CONTAINER.push, container.name)
        assert.ok(!container.env?.some((e) => e.valueFrom), container.name)
      }
      assert.ok(pod.volumes.every((v) => v.secret || v.emptyDir?.sizeLimit === '4Gi'))
    })

    it(`${strategy}: gives the build container the tier's CPU, memory and disk and its log tail on failure`, () => {
      const { all } = render(strategy)
      const build = named(all, CONTAINER.build)
      assert.deepEqual(build.resources.limits, { cpu: '1', memory: '2Gi', 'ephemeral-storage': '4Gi' })
      assert.equal(build.terminationMessagePolicy, 'FallbackToLogsOnError')
      const push = named(all, CONTAINER.push)
      assert.equal(push.terminationMessagePolicy, 'File')
      assert.ok(push.args?.includes('--digestfile=/dev/termination-log'))
    })

    it(`${strategy}: uses only the pinned images`, () => {
      const pinned = Object.values(DEFAULT_BUILD_IMAGES)
      for (const container of render(strategy).all)
        assert.ok(pinned.includes(container.image), container.image)
    })
  }

  it('buildpacks: every container restricted (non-root, no escalation, no capability, RuntimeDefault seccomp)', () => {
    const { pod, all } = render('buildpacks')
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    })
    for (const { securityContext } of all) {
      assert.equal(securityContext.allowPrivilegeEscalation, false)
      assert.deepEqual(securityContext.capabilities, { drop: ['ALL'] })
      assert.equal(securityContext.seccompProfile, undefined)
    }
    const creator = named(all, CONTAINER.build)
    assert.equal(creator.securityContext.runAsUser, 1001)
    assert.deepEqual(creator.args, [
      '-app=/workspace/source',
      '-layers=/layers',
      '-platform=/platform',
      `-run-image=docker.io/paketobuildpacks/run-jammy-base@${DEFAULT_BUILD_IMAGES.runImage.split('@')[1]}`,
      '-layout',
      '-layout-dir=/output',
      'hostplane.build/app:latest',
    ])
  })

  it('dockerfile: one rootless BuildKit with the built-in frontend, an OCI archive, no entitlement, no secret', () => {
    const build = named(render('dockerfile').all, CONTAINER.build)
    assert.deepEqual(build.args, [
      'build',
      '--progress=plain',
      '--frontend=dockerfile.v0',
      '--local=context=/workspace/source',
      '--local=dockerfile=/workspace/source',
      '--opt=filename=Dockerfile',
      '--output=type=oci,dest=/output/image.tar',
    ])
    assert.deepEqual(build.env, [{ name: 'BUILDKITD_FLAGS', value: '--oci-worker-no-process-sandbox' }])
    assert.deepEqual(build.securityContext, {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      allowPrivilegeEscalation: true,
      capabilities: { drop: ['ALL'], add: ['SETUID', 'SETGID'] },
      seccompProfile: { type: 'Unconfined' },
      appArmorProfile: { type: 'Unconfined' },
    })
    assert.deepEqual(
      build.volumeMounts.map((m) => m.name),
      ['source', 'output', 'buildkit'],
    )
  })

  it('pushes the OCI output to the target tag', () => {
    const push = named(render('dockerfile').all, CONTAINER.push)
    assert.deepEqual(push.args?.slice(-2), [
      'oci-archive:/output/image.tar',
      `docker://registry.hostplane-system:5000/hostplane/acme:shop-${COMMIT.slice(0, 12)}`,
    ])
    const bpPush = named(render('buildpacks').all, CONTAINER.push)
    assert.equal(bpPush.args?.at(-2), 'oci:/output/hostplane.build/app/latest')
  })

  it('finds images in the lifecycle layout by registry, repository and tag or digest', () => {
    assert.equal(layoutPath('hostplane.build/app:latest'), '/output/hostplane.build/app/latest')
    assert.equal(layoutPath('busybox'), '/output/index.docker.io/library/busybox/latest')
    assert.equal(
      layoutPath(`docker.io/paketobuildpacks/run@sha256:${'a'.repeat(64)}`),
      `/output/index.docker.io/paketobuildpacks/run/sha256/${'a'.repeat(64)}`,
    )
  })

  it('writes the push credential as an auth file owned by its Job', () => {
    const secret = renderPushSecret(
      { metadata: { name: 'j', namespace: 'hostplane-builds', uid: 'u1' } },
      buildJobSpec('dockerfile').target,
      { username: 'acme', password: 'p' },
    )
    assert.equal(secret.metadata.name, 'j-push')
    assert.deepEqual(secret.metadata.ownerReferences, [
      { apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u1' },
    ])
    assert.deepEqual(JSON.parse((secret.stringData as { 'auth.json': string })['auth.json']), {
      auths: { 'registry.hostplane-system:5000': { auth: Buffer.from('acme:p').toString('base64') } },
    })
  })

  it('refuses settings with an image that is not pinned by digest, naming it', () => {
    assert.throws(
      () => buildSettings({ images: { buildkit: 'moby/buildkit:rootless' } }),
      /build images must be pinned by digest .*: buildkit moby\/buildkit:rootless$/,
    )
  })
})

describe('Dockerfile check', () => {
  const refused: [string, string][] = [
    ['a syntax directive', '# syntax=docker/dockerfile:1\nFROM scratch\n'],
    ['a spaced, upper-case one', '#  SYNTAX = evil/frontend\nFROM scratch'],
    ['one after another directive', '# escape=`\n# syntax=evil/frontend\nFROM scratch'],
    ['one after a blank line and a comment', '\n# hello\n# syntax=evil/frontend\nFROM scratch'],
    ['the // spelling', '//syntax=evil/frontend\nFROM scratch'],
    ['one after a byte-order mark', '\uFEFF# syntax=evil/frontend\nFROM scratch'],
  ]
  for (const [what, text] of refused)
    it(`refuses ${what}, saying which line and why`, () =>
      assert.match(
        dockerfileProblem(text) ?? '',
        /^Dockerfile line \d+: the syntax directive \(.*\) is refused: builds use the Dockerfile frontend built into the platform's pinned BuildKit/,
      ))

  it('builds a Dockerfile whose syntax-like comment comes after the first instruction', () =>
    assert.equal(dockerfileProblem('FROM scratch\n# syntax=not/a-directive\n'), undefined))
  it('builds a plain Dockerfile', () => assert.equal(dockerfileProblem('FROM alpine\nRUN true\n'), undefined))
  it('says what to do when there is no Dockerfile', () =>
    assert.match(
      dockerfileProblem(undefined) ?? '',
      /builds the file Dockerfile at the root of the pushed commit, and there is none/,
    ))
})
