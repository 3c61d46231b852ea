/**
 * The image `npm run image` wrote to build/image (.ci/run builds it before `npm test`), as the
 * image tests use it: its OCI config, its root file system unpacked by umoci (an independent
 * reader of the layout), and processes started from that root the way a container runtime starts
 * them — the config's entrypoint, environment and user (10001), in their own mount namespace with
 * /proc mounted and the device nodes a runtime provides (test/image/container.ts), and with a
 * pod's volumes and network when the test plays the kubelet (test/install/kubelet.ts). No image here: CI fails, elsewhere the
 * suite is skipped with how to build it.
 */
import { execFile } from 'node:child_process'
import { access, chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import type { REGISTRY_IMAGE_OUTPUT } from '../../scripts/image/recipe.js'
import { IMAGE_OUTPUT } from '../../scripts/image/recipe.js'
import { isCI } from '../cluster/paths.js'
import { type CliProcess, type Outcome, runProcess, startProcess } from '../e2e/cli-process.js'
import { type ContainerOptions, containerCommand, makeDevices } from './container.js'

const run = promisify(execFile)

export interface OciConfig {
  readonly config: {
    readonly User: string
    readonly Entrypoint: readonly string[]
    readonly Env: readonly string[]
    readonly WorkingDir: string
    readonly Labels: Readonly<Record<string, string>>
  }
}

interface OciIndex {
  readonly manifests: readonly { readonly digest: string; readonly annotations: Record<string, string> }[]
}

export interface ImageUnderTest {
  /** sha256:… of the manifest: the image digest. */
  readonly digest: string
  readonly tag: string
  readonly layout: string
  readonly archive: string
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

export async function missingTools(tools: readonly string[]): Promise<string[]> {
  const missing: string[] = []
  for (const tool of tools)
    if (
      !(await run('sh', ['-c', `command -v ${tool}`]).then(
        () => true,
        () => false,
      ))
    )
      missing.push(tool)
  return missing
}

/**
 * Why the image tests cannot run here (false when they can); in CI a missing image or tool
 * throws instead. `tools` are the Debian commands the suite runs.
 */
export async function imageSkipReason(
  tools: readonly string[],
  output: ImageOutput = IMAGE_OUTPUT,
): Promise<string | false> {
  const missing = await missingTools(tools)
  const problem = missing.length
    ? `${missing.join(', ')} not installed (apt-get install ${missing.join(' ')})`
    : !(await exists(join(output.layout, 'index.json'))) || !(await exists(output.archive))
      ? `no image in ${output.dir} (build it with npm run image)`
      : undefined
  if (!problem) return false
  if (isCI())
    throw new Error(`image tests cannot run: ${problem}; .ci/run installs the tools and builds the image`)
  return `image tests not run: ${problem}`
}

/** Where `npm run image` wrote an image: the hostplane image's or the registry image's. */
export type ImageOutput = typeof IMAGE_OUTPUT | typeof REGISTRY_IMAGE_OUTPUT

export async function imageUnderTest(output: ImageOutput = IMAGE_OUTPUT): Promise<ImageUnderTest> {
  const index = JSON.parse(await readFile(join(output.layout, 'index.json'), 'utf8')) as OciIndex
  const [manifest] = index.manifests
  if (!manifest) throw new Error(`${output.layout}/index.json names no image`)
  return {
    digest: manifest.digest,
    tag: manifest.annotations['org.opencontainers.image.ref.name'] ?? '',
    layout: output.layout,
    archive: output.archive,
  }
}

export class UnpackedImage {
  private constructor(
    readonly dir: string,
    readonly rootfs: string,
    readonly config: OciConfig,
  ) {}

  /** umoci's unpack of the image (as root), with /dev filled like a runtime does. */
  static async unpack(image: ImageUnderTest): Promise<UnpackedImage> {
    const dir = await mkdtemp(join(tmpdir(), 'hostplane-image-'))
    try {
      await run('umoci', ['unpack', '--image', `${image.layout}:${image.tag}`, join(dir, 'bundle')], {
        timeout: 5 * 60_000,
        maxBuffer: 64 << 20,
      })
      const rootfs = join(dir, 'bundle', 'rootfs')
      await makeDevices(rootfs)
      const imageConfig = JSON.parse(await readFile(await configBlob(image), 'utf8')) as OciConfig
      return new UnpackedImage(dir, rootfs, imageConfig)
    } catch (error) {
      await rm(dir, { recursive: true, force: true })
      throw error
    }
  }

  private get user(): { uid: string; gid: string } {
    const [uid = '', gid = uid] = this.config.config.User.split(':')
    return { uid, gid }
  }

  /** A file (or directory, with `content` undefined) in the root file system, owned by the image's user. */
  async give(path: string, content?: string): Promise<string> {
    const full = join(this.rootfs, path)
    const { uid, gid } = this.user
    if (content === undefined) {
      await mkdir(full, { recursive: true })
      await chmod(full, 0o700)
    } else {
      await mkdir(dirname(full), { recursive: true })
      await writeFile(full, content, { mode: 0o600 })
    }
    await chown(full, Number(uid), Number(gid))
    return path
  }

  /**
   * The image's entrypoint with `args`, as its user, chrooted into the root file system, with the
   * pod's volumes and network when `options` name them.
   */
  private command(args: readonly string[], options: Partial<ContainerOptions> = {}): Promise<string[]> {
    const { uid, gid } = this.user
    const { Entrypoint, WorkingDir } = this.config.config
    return containerCommand(this.rootfs, [...Entrypoint, ...args], {
      uid: Number(uid),
      gid: Number(gid),
      workingDir: WorkingDir || '/',
      ...options,
    })
  }

  /** Only the image's environment and `env` (nothing of the test process). */
  private env(env: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
    const fromImage = Object.fromEntries(
      this.config.config.Env.map((line) => line.split(/=(.*)/s).slice(0, 2)),
    )
    return { ...fromImage, ...env }
  }

  async run(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Outcome> {
    return runProcess(await this.command(args), { env: this.env(env), timeoutMs: 60_000 })
  }

  async start(
    args: readonly string[],
    logFile: string,
    env: Readonly<Record<string, string>> = {},
    options: Partial<ContainerOptions> = {},
  ): Promise<CliProcess> {
    return startProcess(await this.command(args, options), logFile, this.env(env))
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}

async function configBlob(image: ImageUnderTest): Promise<string> {
  const blob = (digest: string) => join(image.layout, 'blobs', ...digest.split(':'))
  const manifest = JSON.parse(await readFile(blob(image.digest), 'utf8')) as { config: { digest: string } }
  return blob(manifest.config.digest)
}
