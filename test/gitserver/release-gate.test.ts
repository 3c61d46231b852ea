/**
 * Push to deploy with the `layer` strategy, end to end on real parts: the OpenSSH client and git
 * push to `hostplane gitserver` (its own ServiceAccount, deploy/rbac/gitserver.yaml) with a real
 * docker-registry behind hostplane's token auth and a base image the test assembles. A push that
 * builds is accepted once its Release exists, and the Release's digest-pinned image holds the
 * commit on top of the Runtime's base; a push whose build fails is refused with the reason on
 * the pusher's terminal and leaves the repository as it was; other branches are stored, or built
 * as previews when the Webspace allows them and removed with their branch.
 */
import assert from 'node:assert/strict'
import { mkdir, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { API_VERSION } from '../../src/api/kind.js'
import type { Release, Runtime, Webspace } from '../../src/api/resources.js'
import { RegistryClient } from '../../src/build/registry/client.js'
import { parseImageReference } from '../../src/build/registry/reference.js'
import type { KubeList } from '../../src/kube/object.js'
import { KubeRest, resourcePath } from '../../src/kube/rest.js'
import { registrySkipReason, startRegistry, type TestRegistry } from '../build/registry.js'
import { clusterForTests } from '../cluster/for-tests.js'
import { run } from '../cluster/process.js'
import { type BuildPod, GitServerRun, type KeyPair, keyPair, registryArgs } from './harness.js'
import { CONTAINER } from '../../src/build/jobs/names.js'
import { waitFor } from '../cluster/process.js'
import { WEBSPACE_LABEL } from '../../src/api/webspace.js'

const env = await clusterForTests()
const skip = env.skip || (await registrySkipReason())
const signal = AbortSignal.timeout(600_000)

describe('push to deploy: layer builds through hostplane gitserver into a real registry', { skip }, () => {
  let admin: KubeRest
  let gs: GitServerRun
  let registry: TestRegistry
  let alice: string
  let aliceKey: KeyPair
  let runtime: string

  const releases = async () =>
    (
      await admin.request<KubeList<Release>>(
        'GET',
        resourcePath({ apiVersion: API_VERSION, plural: 'releases', namespace: gs.namespaceOf(alice) }),
        { query: { labelSelector: `${WEBSPACE_LABEL}=site` } },
      )
    ).items
  const runtimeImage = async () =>
    (
      await admin.request<Runtime>(
        'GET',
        resourcePath({ apiVersion: API_VERSION, plural: 'runtimes', name: runtime }),
      )
    ).spec.image
  const patchWebspace = (spec: Record<string, unknown>) =>
    admin.request(
      'PATCH',
      resourcePath({
        apiVersion: API_VERSION,
        plural: 'webspaces',
        namespace: gs.namespaceOf(alice),
        name: 'site',
      }),
      { body: { spec }, contentType: 'application/merge-patch+json' },
    )
  /** The build the gitserver recorded in the Webspace's status (the panel streams it). */
  const recordedBuild = async () =>
    (
      await admin.request<Webspace>(
        'GET',
        resourcePath({
          apiVersion: API_VERSION,
          plural: 'webspaces',
          namespace: gs.namespaceOf(alice),
          name: 'site',
        }),
      )
    ).status?.build
  const push = (dir: string, ...refs: string[]) =>
    gs.git(dir, [aliceKey.file], ['push', gs.url(alice), ...refs])

  /** The files of the image's top layer: the commit, as the layer strategy appended it. */
  async function topLayer(image: string): Promise<Buffer> {
    const { registry: host, repository, digest } = parseImageReference(image)
    const client = new RegistryClient({
      registry: host,
      credentials: {
        kind: 'bearer',
        token: registry.issuer.issue('test-pull', [{ repository, actions: ['pull'] }]).token,
      },
    })
    const { manifest } = await client.resolveManifest(repository, digest ?? '', signal)
    const top = manifest.layers.at(-1)
    assert.ok(top)
    return gunzipSync(await client.getBlob(repository, top, 64 << 20, signal))
  }

  before(async () => {
    const cluster = await env.get()
    admin = new KubeRest(cluster.kubeConfig())
    registry = await startRegistry()
    gs = await GitServerRun.create(cluster, admin)
    runtime = await gs.layerRuntime(registry, signal)
    await mkdir(join(gs.dir, 'keys'))
    aliceKey = await keyPair(join(gs.dir, 'keys'), 'alice')
    alice = await gs.customer('alice', { sshKeys: [aliceKey.publicKey] })
    await patchWebspace({ runtime })
    await gs.start([...registryArgs(registry), ...(await gs.jobBuilds())])
  })

  after(async () => {
    if (gs) {
      if (process.env.HOSTPLANE_TEST_KEEP_LOG) console.error(await gs.log())
      await gs.stop()
      await gs.removeCustomers([alice].filter(Boolean))
      await rm(gs.dir, { recursive: true, force: true })
    }
    await registry?.stop()
    admin?.close()
    await env.release()
  })

  it('builds a push of the Webspace branch and accepts it once its Release exists', async () => {
    const { dir, commit } = await gs.workTree('first', { 'index.html': 'hello from alice\n' })
    const pushed = await push(dir, 'main')
    assert.equal(pushed.code, 0, pushed.stderr)
    assert.match(
      pushed.stderr,
      new RegExp(`remote: building release of main at ${commit.slice(0, 12)} \\(layer on `),
    )
    assert.match(
      pushed.stderr,
      /remote: Release site-[0-9a-f]{12}-[0-9a-f]{6} created; the Webspace deploys it/,
    )

    const [release, ...others] = await releases()
    assert.ok(release)
    assert.equal(others.length, 0)
    assert.equal(release.spec.commit, commit)
    assert.equal(release.spec.branch, 'main')
    assert.equal(release.spec.strategy, 'layer')
    const fingerprint = (
      await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${aliceKey.file}.pub`])
    ).stdout.split(' ')[1]
    assert.deepEqual(release.spec.pushedBy, { customer: alice, fingerprint, key: 'customer' })
    assert.match(
      release.spec.image,
      new RegExp(`^${registry.address}/hostplane/${alice}@sha256:[0-9a-f]{64}$`),
    )
    assert.ok(release.spec.buildLog.lines?.some((line) => line.startsWith('built ')))
    assert.match(release.spec.buildLog.digest, /^sha256:[0-9a-f]{64}$/)
    assert.equal(
      release.metadata.ownerReferences?.[0]?.name,
      'site',
      'deleting the Webspace deletes its Releases',
    )

    const layer = await topLayer(release.spec.image)
    assert.ok(layer.includes('srv/app/index.html'), 'the commit sits at the Runtime’s app directory')
    assert.ok(layer.includes('hello from alice\n'))
    assert.equal((await gs.inRepository(alice, ['rev-parse', 'refs/heads/main'])).stdout.trim(), commit)

    const build = await recordedBuild()
    assert.equal(build?.phase, 'Succeeded')
    assert.equal(build.commit, commit)
    assert.equal(build.branch, 'main')
    assert.equal(build.release, release.metadata.name)
    assert.ok(build.finishedAt && build.finishedAt >= build.startedAt)
    assert.match(build.lines[0] ?? '', /^building release of main at /)
    assert.match(build.lines.at(-1) ?? '', /^Release site-[0-9a-f]{12}-[0-9a-f]{6} created/)
    assert.equal(build.lineCount, build.lines.length)
  })

  it('refuses a push whose build fails, with the reason on the terminal; the repository stays as it was', async () => {
    const before = (await gs.inRepository(alice, ['rev-parse', 'refs/heads/main'])).stdout.trim()
    const releasesBefore = (await releases()).length
    const { dir } = await gs.workTree('leak', { 'index.html': 'second\n' })
    await symlink('/etc/passwd', join(dir, 'passwd'))
    await gs.gitOk(dir, ['add', '--all'])
    await gs.gitOk(dir, ['commit', '--quiet', '-m', 'leak'])
    const commit = (await gs.gitOk(dir, ['rev-parse', 'HEAD'])).stdout.trim()
    const pushed = await push(dir, '--force', 'main')
    assert.notEqual(pushed.code, 0)
    assert.match(pushed.stderr, /remote: build failed: .*passwd/)
    assert.match(
      pushed.stderr,
      /remote: push refused: the release of main at [0-9a-f]{12} did not build; nothing was changed/,
    )
    assert.match(pushed.stderr, /pre-receive hook declined/)
    assert.equal((await gs.inRepository(alice, ['rev-parse', 'refs/heads/main'])).stdout.trim(), before)
    assert.notEqual(
      (await gs.inRepository(alice, ['cat-file', '-e', commit])).code,
      0,
      'the objects were discarded',
    )
    assert.equal((await releases()).length, releasesBefore)
    const build = await recordedBuild()
    assert.equal(build?.phase, 'Failed')
    assert.equal(build.commit, commit)
    assert.equal(build.release, undefined)
    assert.ok(build.lines.some((line) => /^build failed: .*passwd/.test(line)))
  })

  it('stores other branches without deploying while previews are off; builds previews and removes them with their branch when on', async () => {
    const { dir, commit } = await gs.workTree('feature', { 'index.html': 'feature\n' }, 'feature/login')
    const stored = await push(dir, 'feature/login')
    assert.equal(stored.code, 0, stored.stderr)
    assert.match(stored.stderr, /remote: refs\/heads\/feature\/login stored, not deployed: only main deploys/)
    assert.equal((await releases()).filter((r) => r.spec.branch === 'feature/login').length, 0)

    await patchWebspace({ git: { branch: 'main', previews: { enabled: true } } })
    await gs.gitOk(dir, ['commit', '--quiet', '--allow-empty', '-m', 'again'])
    const built = await push(dir, 'feature/login')
    assert.equal(built.code, 0, built.stderr)
    assert.match(
      built.stderr,
      /remote: Release site-[0-9a-f]{12}-[0-9a-f]{6} created; the preview deploys it/,
    )
    const preview = (await releases()).filter((r) => r.spec.branch === 'feature/login')
    assert.equal(preview.length, 1)
    assert.notEqual(preview[0]?.spec.commit, commit)

    const deleted = await push(dir, ':feature/login')
    assert.equal(deleted.code, 0, deleted.stderr)
    assert.match(deleted.stderr, /remote: preview of feature\/login: removed \(1 Releases deleted\)/)
    assert.equal((await releases()).filter((r) => r.spec.branch === 'feature/login').length, 0)
    assert.equal((await releases()).filter((r) => r.spec.branch === 'main').length, 1, 'production untouched')
  })

  it('refuses a push once the namespace holds as many Releases as its quota allows, saying what to do', async () => {
    const quotas = resourcePath({
      apiVersion: 'v1',
      plural: 'resourcequotas',
      namespace: gs.namespaceOf(alice),
    })
    const quota = `${quotas}/releases`
    const held = String((await releases()).length)
    await admin.request('POST', quotas, {
      body: { metadata: { name: 'releases' }, spec: { hard: { 'count/releases.hostplane.dev': held } } },
    })
    try {
      // The quota controller fills in what is used before the API server admits against it.
      await waitFor(
        async () =>
          (await admin.request<{ status?: { used?: Record<string, string> } }>('GET', quota)).status?.used?.[
            'count/releases.hostplane.dev'
          ] === held || undefined,
        { timeoutMs: 30_000, intervalMs: 200, describe: () => 'the quota was not counted' },
      )
      const { dir, commit } = await gs.workTree('over-quota', { 'index.html': 'one too many\n' })
      const pushed = await push(dir, '--force', 'main')
      assert.notEqual(pushed.code, 0)
      assert.match(pushed.stderr, /remote: .*exceeded quota/)
      assert.match(
        pushed.stderr,
        /remote: push refused: .* holds as many Releases as its tier allows; lower spec\.releaseHistory/,
      )
      assert.notEqual((await gs.inRepository(alice, ['cat-file', '-e', commit])).code, 0, 'nothing was kept')
    } finally {
      await admin.request('DELETE', quota)
    }
  })

  it('refuses to delete the deployed branch', async () => {
    const { dir } = await gs.workTree('delete', { 'x.txt': 'x' })
    const pushed = await push(dir, ':main')
    assert.notEqual(pushed.code, 0)
    assert.match(pushed.stderr, /remote: .*deploys main; deleting it is refused/)
    assert.equal((await gs.inRepository(alice, ['rev-parse', '--verify', 'refs/heads/main'])).code, 0)
  })

  describe('a dockerfile Runtime: the build runs as a Job (the test plays the kubelet)', () => {
    let dockerRuntime: string
    const DIGEST = `sha256:${'d0'.repeat(32)}`

    /** Does what the fetch container does; the source URL works only once. */
    const fetchSource = async (pod: BuildPod) => {
      const { url, tar } = await gs.fetchSource(pod)
      assert.equal((await fetch(url)).status, 404, 'a source URL works once')
      return tar
    }

    before(async () => {
      dockerRuntime = await gs.runtime('docker', await runtimeImage(), { strategy: 'dockerfile' })
      await patchWebspace({ runtime: dockerRuntime, git: { branch: 'main', previews: { enabled: false } } })
    })

    after(async () => {
      await patchWebspace({ runtime })
    })

    it('hands the commit to the build Pod once, and the pushed digest becomes the Release', async () => {
      const { dir, commit } = await gs.workTree('docker', {
        Dockerfile: 'FROM scratch\nCOPY index.html /srv/\n',
        'index.html': 'built by a Job\n',
      })
      const pushing = push(dir, '--force', 'main')
      const pod = await gs.buildPod(alice)
      const tar = await fetchSource(pod)
      assert.ok(
        tar.includes('built by a Job\n'),
        'the commit’s files, as the layer strategy would archive them',
      )
      await gs.finishBuild(pod, { [CONTAINER.push]: { exitCode: 0, message: `${DIGEST}\n` } })
      const pushed = await pushing
      assert.equal(pushed.code, 0, pushed.stderr)
      assert.match(pushed.stderr, /remote: building release of main at [0-9a-f]{12} \(dockerfile\)/)
      const release = (await releases()).find((r) => r.spec.commit === commit)
      assert.ok(release, pushed.stderr)
      assert.equal(release.spec.strategy, 'dockerfile')
      assert.equal(release.spec.image, `${registry.address}/hostplane/${alice}@${DIGEST}`)
    })

    it('refuses the push with the build log tail when the build container fails; nothing moves', async () => {
      const before = (await gs.inRepository(alice, ['rev-parse', 'refs/heads/main'])).stdout.trim()
      const { dir, commit } = await gs.workTree('docker-broken', {
        Dockerfile: 'FROM scratch\nRUN make\n',
        'index.html': 'broken\n',
      })
      const pushing = push(dir, '--force', 'main')
      const pod = await gs.buildPod(alice)
      await fetchSource(pod)
      await gs.finishBuild(pod, {
        [CONTAINER.build]: {
          exitCode: 1,
          message: 'step 2/2 RUN make\nmake: *** No targets specified. Stop.\n',
        },
      })
      const pushed = await pushing
      assert.notEqual(pushed.code, 0)
      assert.match(pushed.stderr, /remote: make: \*\*\* No targets specified\. Stop\./)
      assert.match(pushed.stderr, /remote: push refused: the release of main at [0-9a-f]{12} did not build/)
      assert.equal((await gs.inRepository(alice, ['rev-parse', 'refs/heads/main'])).stdout.trim(), before)
      assert.notEqual((await gs.inRepository(alice, ['cat-file', '-e', commit])).code, 0)
    })

    it('refuses a Dockerfile with a syntax directive before any Job exists', async () => {
      const { dir } = await gs.workTree('docker-syntax', {
        Dockerfile: '# syntax=docker/dockerfile:1\nFROM scratch\n',
      })
      const pushed = await push(dir, '--force', 'main')
      assert.notEqual(pushed.code, 0)
      assert.match(pushed.stderr, /remote: .*syntax/)
    })
  })
})
