/**
 * The `layer` build strategy: a pushed commit's tree appended as one layer onto a digest-pinned
 * base image and pushed to the tenants' registry, without running any tenant code. git only
 * reads objects: `git archive` runs against a private, empty git directory that borrows the
 * repository's (or the push quarantine's) objects, whose `info/attributes` switches off every
 * attribute a hostile `.gitattributes` could use — `export-subst` (placeholder expansion, the
 * code path of CVE-2022-41903), `export-ignore`, eol/ident/filter conversion — so the layer holds
 * the commit's blobs byte for byte; no config, hook or filter of the repository is read.
 *
 * Deterministic: the tar's times are the commit's, gzip's header carries no time, and the config
 * is the base's plus fixed fields, so one commit on one base gives one digest.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import { parseCatFileBatch } from '../../syncer/git-client.js'
import { GitRunner } from '../../syncer/git-command.js'
import { SYMLINK, type TreeEntry } from '../../syncer/tree-filter.js'
import {
  type Descriptor,
  MEDIA_TYPES,
  RegistryClient,
  type RegistryClientOptions,
  type RegistryCredentials,
  sha256,
} from '../registry/client.js'
import { isTag, parseImageReference } from '../registry/reference.js'
import { BuildError } from '../build-error.js'
import { checkTree, DEFAULT_LAYER_LIMITS, type LayerLimits } from './tree-rules.js'

export interface LayerTarget {
  /** host[:port] of the tenants' registry. */
  readonly registry: string
  /** `hostplane/<customer>` */
  readonly repository: string
  /** `<webspace>-<commit12>` */
  readonly tag: string
}

export interface LayerBuildOptions {
  /** The repository's git directory (bare). */
  readonly repoDir: string
  /**
   * The push's git environment (PushRequest.git.env): only GIT_OBJECT_DIRECTORY,
   * GIT_ALTERNATE_OBJECT_DIRECTORIES and GIT_QUARANTINE_PATH are used, so objects still in
   * quarantine are read.
   */
  readonly gitEnv: Readonly<Record<string, string>>
  /** 40 hex digits. */
  readonly commit: string
  /** `registry/repository@sha256:…` (a tag alone is refused: builds must be reproducible). */
  readonly baseImage: string
  /** Absolute directory the commit's tree appears at in the image, e.g. /srv/app. */
  readonly appDir: string
  readonly target: LayerTarget
  /** For the target registry (e.g. RegistryTokenIssuer.pushCredential). */
  readonly credentials: RegistryCredentials
  /** For the base image's registry. @default `credentials` on the same registry, else anonymous */
  readonly baseCredentials?: RegistryCredentials
  /** @default DEFAULT_LAYER_LIMITS */
  readonly limits?: Partial<LayerLimits>
  readonly signal: AbortSignal
  /** One line per step, for the pusher's terminal; never a credential. */
  readonly log: (line: string) => void
  /** Per registry; plainHttp defaults to loopback only. */
  readonly registryOptions?: Omit<RegistryClientOptions, 'registry' | 'credentials' | 'endpoint'>
  /** Where to connect to a registry (by the host images name): RegistryClientOptions.endpoint. */
  readonly endpoints?: Readonly<Record<string, string>>
  /** Deadline of each git call. @default 5 min */
  readonly gitTimeoutMs?: number
}

export interface LayerImage {
  /** `registry/repository@sha256:…` */
  readonly image: string
  /** sha256:… of the manifest. */
  readonly digest: string
}

const APP_DIR = /^(\/[A-Za-z0-9_][A-Za-z0-9._-]*)+$/
const COMMIT = /^[0-9a-f]{40}$/
const MAX_CONFIG_BYTES = 4 * 1024 ** 2
const MAX_SYMLINK_TARGET = 4096
const TREE_LINE = /^(\d{6}) (\w+) ([0-9a-f]{40,64}) +(-|\d+)\t([\s\S]+)$/s

/**
 * Attributes the archive must not honour, whatever the commit's .gitattributes say; the git
 * directory's info/attributes outranks every .gitattributes file.
 */
const NEUTRAL_ATTRIBUTES = '* -export-subst -export-ignore -text -eol -ident -filter -working-tree-encoding\n'

export async function buildLayerImage(options: LayerBuildOptions): Promise<LayerImage> {
  const { commit, appDir, target, signal, log } = options
  const limits = { ...DEFAULT_LAYER_LIMITS, ...options.limits }
  const base = parseImageReference(options.baseImage)
  if (!base.digest)
    throw new BuildError(
      'HP_ERR_BUILD_BASE_IMAGE',
      `base image ${options.baseImage} is not pinned by digest; pin it as registry/repository@sha256:…`,
    )
  if (!COMMIT.test(commit))
    throw new BuildError('HP_ERR_BUILD_OPTIONS', `commit ${commit} is not 40 hex digits`)
  if (!APP_DIR.test(appDir) || appDir.split('/').some((part) => part === '..' || part === '.'))
    throw new BuildError(
      'HP_ERR_BUILD_OPTIONS',
      `app directory ${appDir} must be an absolute, normalised path`,
    )
  if (!isTag(target.tag)) throw new BuildError('HP_ERR_BUILD_OPTIONS', `tag ${target.tag} is not a valid tag`)
  parseImageReference(`${target.registry}/${target.repository}`)

  const work = await mkdtemp(join(tmpdir(), 'hostplane-layer-'))
  try {
    const git = await privateGit(options, work)
    const layer = await archiveLayer(git, commit, appDir, limits, log)
    signal.throwIfAborted()

    const sameRegistry = base.registry === target.registry
    const baseClient = new RegistryClient({
      ...options.registryOptions,
      registry: base.registry,
      endpoint: options.endpoints?.[base.registry],
      credentials: options.baseCredentials ?? (sameRegistry ? options.credentials : { kind: 'anonymous' }),
    })
    const targetClient = new RegistryClient({
      ...options.registryOptions,
      registry: target.registry,
      endpoint: options.endpoints?.[target.registry],
      credentials: options.credentials,
    })
    const resolved = await baseClient.resolveManifest(base.repository, base.digest, signal)
    const baseConfig = await baseClient.getBlob(
      base.repository,
      resolved.manifest.config,
      MAX_CONFIG_BYTES,
      signal,
    )
    const { manifest } = resolved
    const docker = manifest.mediaType === MEDIA_TYPES.dockerManifest
    const config = Buffer.from(
      JSON.stringify(
        imageConfig(JSON.parse(baseConfig.toString('utf8')), manifest.layers.length, layer, commit, appDir),
      ),
    )
    const layerDescriptor: Descriptor = {
      mediaType: docker ? MEDIA_TYPES.dockerLayerGzip : MEDIA_TYPES.ociLayerGzip,
      digest: layer.digest,
      size: layer.gz.length,
    }
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: manifest.mediaType,
        config: { mediaType: manifest.config.mediaType, digest: sha256(config), size: config.length },
        layers: [
          ...manifest.layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
          layerDescriptor,
        ],
        ...(docker
          ? {}
          : {
              annotations: {
                'org.opencontainers.image.base.name': `${base.registry}/${base.repository}`,
                'org.opencontainers.image.base.digest': resolved.digest,
                'org.opencontainers.image.revision': commit,
              },
            }),
      }),
    )

    log(`pushing to ${target.registry}/${target.repository}:${target.tag}`)
    for (const descriptor of manifest.layers) {
      if (await targetClient.hasBlob(target.repository, descriptor.digest, signal)) continue
      if (
        sameRegistry &&
        (await targetClient.mountBlob(target.repository, descriptor.digest, base.repository, signal))
      )
        continue
      const source = await baseClient.openBlob(base.repository, descriptor, signal)
      await targetClient.pushBlob(target.repository, descriptor.digest, source, signal)
    }
    for (const [digest, blob] of [
      [layer.digest, layer.gz],
      [sha256(config), config],
    ] as const)
      if (!(await targetClient.hasBlob(target.repository, digest, signal)))
        await targetClient.pushBlob(target.repository, digest, blob, signal)
    const digest = await targetClient.putManifest(
      target.repository,
      target.tag,
      manifest.mediaType,
      bytes,
      signal,
    )
    const image = `${target.registry}/${target.repository}@${digest}`
    log(`pushed ${image}`)
    return { image, digest }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

interface Layer {
  readonly gz: Buffer
  /** sha256 of the gzip stream: the blob's digest. */
  readonly digest: string
  /** sha256 of the uncompressed tar: the config's diff_id. */
  readonly diffId: string
  /** The commit's committer time, ISO 8601: the layer's and the config's `created`. */
  readonly created: string
}

type Git = (args: readonly string[], input?: string, maxOutputBytes?: number) => Promise<Buffer>

/** git reading only the push's objects, through an empty git directory of hostplane's. */
async function privateGit(
  options: Pick<LayerBuildOptions, 'repoDir' | 'gitEnv' | 'gitTimeoutMs'>,
  work: string,
): Promise<Git> {
  const { repoDir, gitEnv, gitTimeoutMs = 300_000 } = options
  const gitDir = join(work, 'git')
  const home = join(work, 'home')
  await mkdir(join(gitDir, 'refs'), { recursive: true })
  await mkdir(join(gitDir, 'info'), { recursive: true })
  await mkdir(home)
  await writeFile(join(gitDir, 'HEAD'), 'ref: refs/heads/main\n')
  await writeFile(join(gitDir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n')
  await writeFile(join(gitDir, 'info', 'attributes'), NEUTRAL_ATTRIBUTES)
  const objects = join(repoDir, 'objects')
  const quarantine = gitEnv.GIT_OBJECT_DIRECTORY
  const env: Record<string, string> = {
    GIT_DIR: gitDir,
    GIT_OBJECT_DIRECTORY: quarantine ?? objects,
    ...(quarantine
      ? {
          GIT_ALTERNATE_OBJECT_DIRECTORIES: [gitEnv.GIT_ALTERNATE_OBJECT_DIRECTORIES, objects]
            .filter(Boolean)
            .join(':'),
        }
      : {}),
    ...(gitEnv.GIT_QUARANTINE_PATH ? { GIT_QUARANTINE_PATH: gitEnv.GIT_QUARANTINE_PATH } : {}),
  }
  const runner = new GitRunner({ home })
  return async (args, input, maxOutputBytes) => {
    try {
      const { stdout } = await runner.run({
        args: ['-c', 'core.attributesFile=/dev/null', '-c', 'core.hooksPath=/dev/null', ...args],
        env,
        input,
        timeoutMs: gitTimeoutMs,
        maxOutputBytes,
      })
      return stdout
    } catch (error) {
      throw new BuildError('HP_ERR_BUILD_GIT_FAILED', (error as Error).message, { cause: error })
    }
  }
}

/** The commit's tree as a tar under `prefix`, after the tree rules, with its committer time. */
async function checkedArchive(
  git: Git,
  commit: string,
  prefix: string,
  limits: LayerLimits,
  log: (line: string) => void,
): Promise<{ tar: Buffer; time: number }> {
  const type = await git(['cat-file', '-t', commit]).catch(() => Buffer.from(''))
  if (type.toString().trim() !== 'commit')
    throw new BuildError('HP_ERR_BUILD_COMMIT_NOT_FOUND', `commit ${commit} is not in the repository`)
  const time = Number((await git(['show', '-s', '--format=%ct', commit])).toString().trim())
  const entries = parseTree(await git(['ls-tree', '-r', '-z', '--long', '--full-tree', commit]))
  const symlinks = entries.filter((e) => e.mode === SYMLINK && e.size <= MAX_SYMLINK_TARGET)
  const targets = symlinks.length
    ? parseCatFileBatch(await git(['cat-file', '--batch'], `${symlinks.map((e) => e.oid).join('\n')}\n`))
    : new Map<string, string>()
  const symlinkTargets = new Map(symlinks.map((e) => [e.path, targets.get(e.oid) ?? ''] as const))
  const tree = checkTree(entries, symlinkTargets, limits)
  for (const path of tree.submodules) log(`submodule ${path} is not part of the image`)
  log(`${tree.files} files from commit ${commit.slice(0, 12)}`)
  const tar = stripGlobalHeader(
    await git(
      ['-c', 'tar.umask=022', 'archive', '--format=tar', ...(prefix ? [`--prefix=${prefix}`] : []), commit],
      undefined,
      tree.bytes + (entries.length + 8) * 3 * 512 + 1024 ** 2,
    ),
  )
  return { tar, time }
}

async function archiveLayer(
  git: Git,
  commit: string,
  appDir: string,
  limits: LayerLimits,
  log: (line: string) => void,
): Promise<Layer> {
  log(`layer at ${appDir}`)
  const { tar, time } = await checkedArchive(git, commit, `${appDir.slice(1)}/`, limits, log)
  const gz = await promisify(gzip)(tar, { level: 6 })
  const layer = { gz, digest: sha256(gz), diffId: sha256(tar), created: new Date(time * 1000).toISOString() }
  log(`layer: ${tar.length} bytes, ${gz.length} compressed, ${layer.digest}`)
  return layer
}

export type SourceOptions = Pick<
  LayerBuildOptions,
  'repoDir' | 'gitEnv' | 'commit' | 'limits' | 'log' | 'gitTimeoutMs'
>

/**
 * The commit's tree as a tar for a build Job to fetch: the same private git directory, neutral
 * attributes and tree rules as a layer, so a Job build starts from exactly the files a layer
 * build would hold.
 */
export async function sourceArchive(options: SourceOptions): Promise<Buffer> {
  if (!COMMIT.test(options.commit))
    throw new BuildError('HP_ERR_BUILD_OPTIONS', `commit ${options.commit} is not 40 hex digits`)
  const work = await mkdtemp(join(tmpdir(), 'hostplane-source-'))
  try {
    const git = await privateGit(options, work)
    const limits = { ...DEFAULT_LAYER_LIMITS, ...options.limits }
    return (await checkedArchive(git, options.commit, '', limits, options.log)).tar
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

function parseTree(stdout: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = []
  for (const record of stdout.toString('utf8').split('\0')) {
    const match = TREE_LINE.exec(record)
    if (match)
      entries.push({
        mode: match[1] as string,
        oid: match[3] as string,
        size: match[4] === '-' ? 0 : Number(match[4]),
        path: match[5] as string,
      })
  }
  return entries
}

/**
 * `git archive` opens with a pax global header holding the commit id; image tools disagree on
 * such entries (some extract it as a file), so the layer starts with the first real entry.
 */
function stripGlobalHeader(tar: Buffer): Buffer {
  if (tar.length < 512 || String.fromCharCode(tar[156] ?? 0) !== 'g') return tar
  const size = Number.parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim(), 8)
  return tar.subarray(512 + Math.ceil(size / 512) * 512)
}

interface ImageConfigJson {
  created?: string
  config?: { Labels?: Record<string, string> | null } & Record<string, unknown>
  rootfs?: { type?: string; diff_ids?: string[] }
  history?: Record<string, unknown>[]
  [key: string]: unknown
}

/** The base's config with the layer's diff_id, a history entry and the revision label added. */
function imageConfig(
  base: ImageConfigJson,
  baseLayers: number,
  layer: Layer,
  commit: string,
  appDir: string,
): ImageConfigJson {
  const diffIds = base.rootfs?.diff_ids ?? []
  if (diffIds.length !== baseLayers)
    throw new BuildError(
      'HP_ERR_BUILD_BASE_IMAGE',
      `the base image's config lists ${diffIds.length} layers, its manifest ${baseLayers}; rebuild the base image`,
    )
  return {
    ...base,
    created: layer.created,
    config: {
      ...base.config,
      Labels: { ...(base.config?.Labels ?? {}), 'org.opencontainers.image.revision': commit },
    },
    rootfs: { type: 'layers', diff_ids: [...diffIds, layer.diffId] },
    history: [
      ...(base.history ?? []),
      { created: layer.created, created_by: `hostplane layer: git archive ${commit} at ${appDir}` },
    ],
  }
}
