/**
 * `npm run image`: the hostplane image without a container engine. Layers, bottom first: Debian
 * (debian-base.ts), Node 24 LTS, the production dependencies, the compiled app (app-layers.ts);
 * written as an OCI layout and an oci-archive under build/image (oci-layout.ts). Beside it, the
 * tenants' registry image (recipe.ts REGISTRY: one Debian layer) under build/image/registry.
 * Prints the digests, the sizes and how to push them.
 *
 * Same inputs give the same digest: the recipe (recipe.ts), the Debian packages the mirror
 * serves, the pinned Node release, package-lock.json and the compiled sources. Nothing of the
 * commit itself (no time, no hash) goes in, so the install profiles can name the digest the tree
 * they are committed with builds: `--pin` writes both to deploy/install/image.json, which
 * `npm run gen` puts into every profile.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IMAGE_PIN_FILE, pinImageDigests } from '../../deploy/install/image-pin.js'
import { REPO_ROOT } from '../../test/cluster/paths.js'
import { NODE_RUNTIME } from '../node-runtime.js'
import { appLayer, dependenciesLayer, nodeLayer } from './app-layers.js'
import { ensureDebianBase } from './debian-base.js'
import { type Descriptor, writeOciArchive, writeOciLayout } from './oci-layout.js'
import {
  APP_DIR,
  BASE_EPOCH,
  DEBIAN,
  ENTRYPOINT,
  IMAGE_OUTPUT,
  REGISTRY,
  REGISTRY_IMAGE_OUTPUT,
  USER,
} from './recipe.js'

export interface BuiltImage {
  readonly name: string
  readonly tag: string
  readonly output: { readonly layout: string; readonly archive: string }
  readonly manifest: Descriptor
  /** Bytes a pull transfers (manifest, config, compressed layers). */
  readonly size: number
  readonly archiveSize: number
  readonly seconds: number
}

/**
 * BASE_EPOCH, or SOURCE_DATE_EPOCH when the builder sets one (a release that wants its own date in
 * `created` gets a digest of its own, which it then pins).
 */
function sourceDateEpoch(): number {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? BASE_EPOCH)
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new Error('SOURCE_DATE_EPOCH must be whole seconds since 1970')
  return epoch
}

async function packageVersion(): Promise<string> {
  const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string
  }
  return version
}

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export async function buildImage(log: (line: string) => void): Promise<BuiltImage> {
  const started = performance.now()
  const version = await packageVersion()
  const epoch = sourceDateEpoch()
  const base = await ensureDebianBase(log)
  const node = await nodeLayer(log)
  const dependencies = await dependenciesLayer(log)
  const work = await mkdtemp(join(tmpdir(), 'hostplane-image-'))
  try {
    const app = await appLayer(work, epoch)
    const image = await writeOciLayout(IMAGE_OUTPUT.layout, version, [base.layer, node, dependencies, app], {
      created: new Date(epoch * 1000).toISOString(),
      user: `${USER.uid}:${USER.gid}`,
      entrypoint: ENTRYPOINT,
      env: [PATH, 'NODE_ENV=production'],
      workingDir: '/',
      labels: {
        'org.opencontainers.image.title': 'hostplane',
        'org.opencontainers.image.version': version,
        'org.opencontainers.image.licenses': 'Apache-2.0',
      },
      history: [
        `mmdebstrap --variant=essential --include=${DEBIAN.packages.join(',')} ${DEBIAN.suite} (user ${USER.uid})`,
        `${ENTRYPOINT[0]}: Node ${NODE_RUNTIME.version} (scripts/node-runtime.ts)`,
        `npm ci --omit=dev in ${APP_DIR}`,
        `npm run build: ${APP_DIR}/build/src`,
      ],
    })
    await writeFile(join(IMAGE_OUTPUT.dir, 'debian-packages.txt'), base.packages)
    const archiveSize = await writeOciArchive(IMAGE_OUTPUT.layout, IMAGE_OUTPUT.archive, epoch)
    return {
      name: 'hostplane',
      tag: version,
      output: IMAGE_OUTPUT,
      ...image,
      archiveSize,
      seconds: (performance.now() - started) / 1000,
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/**
 * The tenants' registry image, tagged with the hostplane version it is released with; its digest
 * changes only with Debian's packages.
 */
export async function buildRegistryImage(log: (line: string) => void): Promise<BuiltImage> {
  const started = performance.now()
  const version = await packageVersion()
  const epoch = sourceDateEpoch()
  const base = await ensureDebianBase(log, REGISTRY.debian)
  const registryVersion = /^docker-registry (\S+)$/m.exec(base.packages)?.[1]
  if (!registryVersion) throw new Error('the registry base has no docker-registry package')
  const image = await writeOciLayout(REGISTRY_IMAGE_OUTPUT.layout, version, [base.layer], {
    created: new Date(epoch * 1000).toISOString(),
    user: `${USER.uid}:${USER.gid}`,
    entrypoint: REGISTRY.entrypoint,
    env: [PATH],
    workingDir: '/',
    labels: {
      'org.opencontainers.image.title': 'hostplane-registry',
      'org.opencontainers.image.version': version,
      'org.opencontainers.image.description': `Debian's docker-registry ${registryVersion} (distribution)`,
      'org.opencontainers.image.licenses': 'Apache-2.0',
    },
    history: [
      `mmdebstrap --variant=essential --include=${REGISTRY.debian.packages.join(',')} ${DEBIAN.suite} (user ${USER.uid})`,
    ],
  })
  await writeFile(join(REGISTRY_IMAGE_OUTPUT.dir, 'debian-packages.txt'), base.packages)
  const archiveSize = await writeOciArchive(
    REGISTRY_IMAGE_OUTPUT.layout,
    REGISTRY_IMAGE_OUTPUT.archive,
    epoch,
  )
  return {
    name: 'hostplane-registry',
    tag: version,
    output: REGISTRY_IMAGE_OUTPUT,
    ...image,
    archiveSize,
    seconds: (performance.now() - started) / 1000,
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`

function report(image: BuiltImage): void {
  const archive = image.output.archive.slice(REPO_ROOT.length + 1)
  console.log(`${image.name}:${image.tag} ${image.manifest.digest}`)
  console.log(`size ${mib(image.size)} compressed, built in ${image.seconds.toFixed(1)} s`)
  console.log(
    `layout ${image.output.layout.slice(REPO_ROOT.length + 1)}, archive ${archive} (${mib(image.archiveSize)})`,
  )
  console.log(
    `push: skopeo copy --preserve-digests oci-archive:${archive} docker://<registry>/${image.name}:${image.tag}`,
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const log = (line: string) => console.error(line)
    const hostplane = await buildImage(log)
    report(hostplane)
    const registry = await buildRegistryImage(log)
    report(registry)
    if (process.argv.includes('--pin')) {
      await pinImageDigests({ hostplane: hostplane.manifest.digest, registry: registry.manifest.digest })
      console.log(
        `pinned in ${IMAGE_PIN_FILE.slice(REPO_ROOT.length + 1)}: run npm run gen to update the profiles`,
      )
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  }
}
