/**
 * The `layer` strategy against a real docker-registry with token auth: a commit of a real git
 * repository appended onto a base image the test assembled, pushed with a build's short-lived
 * credential, then pulled back by skopeo and unpacked by umoci (tools independent of hostplane)
 * to see what a container would see. The token service's scoping is proven by the registry
 * itself: a customer's credential pushes to its own repository only, and not after it expired.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { lstat, mkdtemp, readFile, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { buildLayerImage, type LayerBuildOptions } from '../../src/build/layer/layer-image.js'
import { BuildError } from '../../src/build/build-error.js'
import { MEDIA_TYPES, RegistryClient, type RegistryCredentials } from '../../src/build/registry/client.js'
import { RegistryTokenIssuer } from '../../src/build/registry/token-service.js'
import { TestRepos } from '../git/test-repos.js'
import { BASE_FILES, pushDockerBase, pushOciIndexBase } from './base-image.js'
import {
  ISSUER,
  registrySkipReason,
  SERVICE,
  serveDockerRegistry,
  startRegistry,
  type TestRegistry,
} from './registry.js'

const run = promisify(execFile)
const skip = await registrySkipReason()

const APP_FILES = {
  'index.html': '<h1>hello from the commit</h1>\n',
  'css/site.css': 'body { color: green }\n',
  latest: { symlink: 'index.html' },
  'docs/up': { symlink: '../css/site.css' },
  // A hostile .gitattributes: none of it may change what reaches the image.
  '.gitattributes': 'subst.txt export-subst\nignored.txt export-ignore\n*.txt text eol=crlf\n* filter=evil\n',
  'subst.txt': 'version $Format:%H %ad$\n',
  'ignored.txt': 'still here\n',
}

describe('layer builds pushed to a real registry with short-lived credentials', { skip }, () => {
  let registry: TestRegistry
  let dir: string
  let repos: TestRepos
  let commit: string
  let ociBase: string
  let dockerBase: string
  const signal = AbortSignal.timeout(10 * 60_000)

  const admin = (): RegistryClient =>
    new RegistryClient({
      registry: registry.address,
      credentials: {
        kind: 'bearer',
        token: registry.issuer.issue('test-admin', [
          { repository: 'hostplane-runtimes/static', actions: ['pull', 'push'] },
          { repository: 'hostplane-runtimes/php', actions: ['pull', 'push'] },
          { repository: 'hostplane/a', actions: ['pull'] },
          { repository: 'hostplane/b', actions: ['pull'] },
        ]).token,
      },
    })

  const options = (overrides: Partial<LayerBuildOptions> = {}): LayerBuildOptions => ({
    repoDir: repos.gitDir('site'),
    gitEnv: {},
    commit,
    baseImage: ociBase,
    appDir: '/srv/app',
    target: { registry: registry.address, repository: 'hostplane/a', tag: `site-${commit.slice(0, 12)}` },
    credentials: registry.issuer.pushCredential('a', {
      pull: ['hostplane-runtimes/static', 'hostplane-runtimes/php'],
    }),
    signal,
    log: () => {},
    ...overrides,
  })

  /** skopeo pulls the image by digest into an OCI layout, umoci unpacks it: the container's view. */
  async function pull(image: string): Promise<{ rootfs: string; manifest: Manifest; config: Config }> {
    const out = await mkdtemp(join(dir, 'pulled-'))
    const repository = image.slice(registry.address.length + 1).split('@')[0] as string
    const token = registry.issuer.issue('test-pull', [{ repository, actions: ['pull'] }]).token
    await run('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--src-registry-token',
      token,
      `docker://${image}`,
      `oci:${join(out, 'layout')}:app`,
    ])
    await run('umoci', ['unpack', '--image', `${join(out, 'layout')}:app`, join(out, 'bundle')])
    const index = JSON.parse(await readFile(join(out, 'layout', 'index.json'), 'utf8')) as {
      manifests: { digest: string }[]
    }
    const blob = async (digest: string) =>
      JSON.parse(await readFile(join(out, 'layout', 'blobs', ...digest.split(':')), 'utf8')) as unknown
    const manifest = (await blob(index.manifests[0]?.digest ?? '')) as Manifest
    return {
      rootfs: join(out, 'bundle', 'rootfs'),
      manifest,
      config: (await blob(manifest.config.digest)) as Config,
    }
  }

  before(async () => {
    registry = await startRegistry()
    dir = await mkdtemp(join(tmpdir(), 'hostplane-layer-test-'))
    repos = new TestRepos(join(dir, 'repos'))
    commit = (await repos.create('site', APP_FILES)) as string
    // Were the repository's own config read, this filter would run while archiving.
    await run('git', [
      `--git-dir=${repos.gitDir('site')}`,
      'config',
      'filter.evil.smudge',
      `sh -c 'touch ${join(dir, 'filter-ran')}; cat'`,
    ])
    const client = admin()
    ociBase = `${registry.address}/hostplane-runtimes/static@${await pushOciIndexBase(client, 'hostplane-runtimes/static', signal)}`
    dockerBase = `${registry.address}/hostplane-runtimes/php@${await pushDockerBase(client, 'hostplane-runtimes/php', signal)}`
  })

  after(async () => {
    await registry?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('puts the commit’s files at the app directory on top of the unchanged base layers, exactly as committed', async () => {
    const lines: string[] = []
    const { image, digest } = await buildLayerImage(options({ log: (line) => lines.push(line) }))
    assert.equal(image, `${registry.address}/hostplane/a@${digest}`)
    assert.ok(
      lines.some((line) => line.startsWith('pushed ')),
      lines.join('\n'),
    )

    const base = await admin().resolveManifest(
      'hostplane-runtimes/static',
      ociBase.split('@')[1] as string,
      signal,
    )
    const { rootfs, manifest, config } = await pull(image)
    assert.equal(manifest.mediaType, MEDIA_TYPES.ociManifest)
    assert.deepEqual(manifest.layers.slice(0, -1), base.manifest.layers, 'the base layers, unchanged')
    assert.equal(manifest.layers.length, base.manifest.layers.length + 1, 'one layer added')
    assert.equal(config.config.Labels['org.opencontainers.image.revision'], commit)
    assert.equal(config.config.Labels['org.example.base'], 'yes', 'the base config is kept')
    assert.equal(config.architecture, 'amd64', 'the linux/amd64 entry of the index')
    assert.equal(config.rootfs.diff_ids.length, 2)
    assert.match(config.history.at(-1)?.created_by ?? '', new RegExp(commit))

    const read = (path: string) => readFile(join(rootfs, path), 'utf8')
    assert.equal(await read('srv/app/index.html'), APP_FILES['index.html'])
    assert.equal(await read('srv/app/css/site.css'), APP_FILES['css/site.css'])
    assert.equal(await readlink(join(rootfs, 'srv/app/latest')), 'index.html')
    assert.equal(await readlink(join(rootfs, 'srv/app/docs/up')), '../css/site.css')
    assert.equal(await read('srv/app/subst.txt'), APP_FILES['subst.txt'], 'export-subst is not applied')
    assert.equal(await read('srv/app/ignored.txt'), APP_FILES['ignored.txt'], 'export-ignore is not applied')
    assert.equal(await read('etc/base-release'), BASE_FILES['etc/base-release'], 'the base’s files')
    assert.equal(await read('etc/arch'), 'amd64\n')
    assert.equal(await read('srv/app/placeholder.html'), BASE_FILES['srv/app/placeholder.html'])
    const stat = await lstat(join(rootfs, 'srv/app/index.html'))
    assert.equal(stat.mode & 0o777, 0o644, 'files readable by all, writable by none but root')
    assert.equal(stat.uid, 0)
  })

  it('gives the same digest for the same commit on the same base, whatever the tag', async () => {
    const first = await buildLayerImage(options())
    const second = await buildLayerImage(
      options({ target: { registry: registry.address, repository: 'hostplane/a', tag: 'again' } }),
    )
    assert.equal(second.digest, first.digest)
  })

  it('builds a Docker schema 2 image from a Docker schema 2 base', async () => {
    const { image, digest } = await buildLayerImage(options({ baseImage: dockerBase }))
    const pushed = await admin().resolveManifest('hostplane/a', digest, signal)
    assert.equal(pushed.manifest.mediaType, MEDIA_TYPES.dockerManifest)
    assert.equal(pushed.manifest.layers.at(-1)?.mediaType, MEDIA_TYPES.dockerLayerGzip)
    const { rootfs } = await pull(image)
    assert.equal(await readFile(join(rootfs, 'srv/app/index.html'), 'utf8'), APP_FILES['index.html'])
  })

  it('copies the base layers from another registry (anonymous pull) when they cannot be mounted', async () => {
    const openDir = await mkdtemp(join(dir, 'open-registry-'))
    const open = await serveDockerRegistry(openDir)
    try {
      const anonymous = new RegistryClient({ registry: open.address })
      const baseDigest = await pushDockerBase(anonymous, 'library/base', signal, { 'etc/elsewhere': 'yes\n' })
      const [baseLayer] = (await anonymous.resolveManifest('library/base', baseDigest, signal)).manifest
        .layers
      assert.equal(await admin().hasBlob('hostplane/a', baseLayer?.digest ?? '', signal), false)
      const { image } = await buildLayerImage(
        options({
          baseImage: `${open.address}/library/base@${baseDigest}`,
          target: { registry: registry.address, repository: 'hostplane/a', tag: 'from-elsewhere' },
        }),
      )
      assert.equal(await admin().hasBlob('hostplane/a', baseLayer?.digest ?? '', signal), true, 'copied')
      const { rootfs } = await pull(image)
      assert.equal(await readFile(join(rootfs, 'etc/elsewhere'), 'utf8'), 'yes\n')
      assert.equal(await readFile(join(rootfs, 'srv/app/index.html'), 'utf8'), APP_FILES['index.html'])
    } finally {
      await open.registry.stop()
    }
  })

  it('reads a commit still in the push quarantine through the given git environment', async () => {
    const pushed = (await repos.create('pushed', { 'index.html': 'quarantined\n' })) as string
    await repos.create('webspace')
    const quarantine = join(repos.gitDir('pushed'), 'objects')
    const base = options({ repoDir: repos.gitDir('webspace'), commit: pushed })
    await assert.rejects(buildLayerImage(base), { code: 'HP_ERR_BUILD_COMMIT_NOT_FOUND' })
    const { image } = await buildLayerImage({
      ...base,
      gitEnv: {
        GIT_OBJECT_DIRECTORY: quarantine,
        GIT_ALTERNATE_OBJECT_DIRECTORIES: join(repos.gitDir('webspace'), 'objects'),
        GIT_QUARANTINE_PATH: quarantine,
      },
    })
    const { rootfs } = await pull(image)
    assert.equal(await readFile(join(rootfs, 'srv/app/index.html'), 'utf8'), 'quarantined\n')
  })

  it('refuses a symlink leaving the app and a commit over the size limit, and pushes nothing', async () => {
    const cases: [string, Record<string, unknown>, Partial<LayerBuildOptions>, string, RegExp][] = [
      [
        'outside',
        { 'index.html': 'x', passwd: { symlink: '/etc/passwd' } },
        {},
        'HP_ERR_BUILD_SYMLINK_OUTSIDE',
        /passwd -> "\/etc\/passwd"/,
      ],
      ['climbing', { 'a/b': { symlink: '../../../etc' } }, {}, 'HP_ERR_BUILD_SYMLINK_OUTSIDE', /a\/b/],
      [
        'huge',
        { 'index.html': 'x', 'video.bin': Buffer.alloc(2 * 1024 ** 2, 7) },
        { limits: { maxBytes: 1024 ** 2 } },
        'HP_ERR_BUILD_TOO_LARGE',
        /video\.bin \(2 MiB\)/,
      ],
    ]
    for (const [name, files, overrides, code, message] of cases) {
      const hostile = (await repos.create(name, files as never)) as string
      const tag = `hostile-${name}`
      await assert.rejects(
        buildLayerImage(
          options({
            repoDir: repos.gitDir(name),
            commit: hostile,
            target: { registry: registry.address, repository: 'hostplane/a', tag },
            ...overrides,
          }),
        ),
        (error: BuildError) => {
          assert.ok(error instanceof BuildError, String(error))
          assert.equal(error.code, code)
          assert.match(error.message, message)
          return true
        },
      )
      await assert.rejects(admin().resolveManifest('hostplane/a', tag, signal), {
        code: 'HP_ERR_REGISTRY_NOT_FOUND',
      })
    }
  })

  it('refuses customer A’s credential for customer B’s repository, and once it expired', async () => {
    // The base is read with a valid credential, so what is refused is the push itself.
    const baseCredentials: RegistryCredentials = {
      kind: 'bearer',
      token: registry.issuer.issue('test-base', [
        { repository: 'hostplane-runtimes/static', actions: ['pull'] },
      ]).token,
    }
    const denied = async (credentials: RegistryCredentials, repository: string) =>
      assert.rejects(
        buildLayerImage(
          options({
            credentials,
            baseCredentials,
            target: { registry: registry.address, repository, tag: 'x' },
          }),
        ),
        (error: BuildError) => {
          assert.ok(error instanceof BuildError, String(error))
          assert.equal(error.code, 'HP_ERR_REGISTRY_DENIED')
          assert.match(error.message, new RegExp(`repository ${repository}`))
          return true
        },
      )
    const pull = ['hostplane-runtimes/static']
    await denied(registry.issuer.pushCredential('a', { pull }), 'hostplane/b')
    await denied(registry.issuer.buildTicket('a', { pull }), 'hostplane/b')

    const { privateKey } = registry
    const yesterday = new RegistryTokenIssuer({
      issuer: ISSUER,
      service: SERVICE,
      privateKey,
      clock: () => Date.now() - 3_600_000,
    })
    await denied(yesterday.pushCredential('a', { pull }), 'hostplane/a')
    await denied(yesterday.buildTicket('a', { pull }), 'hostplane/a')

    const viaTicket = await buildLayerImage(
      options({ credentials: registry.issuer.buildTicket('a', { pull }) }),
    )
    assert.match(viaTicket.image, /\/hostplane\/a@sha256:/)
  })
})

interface Manifest {
  readonly mediaType: string
  readonly config: { readonly digest: string }
  readonly layers: readonly { readonly mediaType: string; readonly digest: string; readonly size: number }[]
}

interface Config {
  readonly architecture: string
  readonly config: { readonly Labels: Record<string, string> }
  readonly rootfs: { readonly diff_ids: readonly string[] }
  readonly history: readonly { readonly created_by?: string }[]
}
