/**
 * Base images the build tests assemble themselves and push with hostplane's registry client: one
 * layer of a few files (made by tar with fixed owners and times) and a config, as an OCI image
 * behind an index (linux/amd64 beside an arm64 decoy) or as a Docker schema 2 manifest.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { type Descriptor, MEDIA_TYPES, type RegistryClient, sha256 } from '../../src/build/registry/client.js'

const run = promisify(execFile)

export const BASE_FILES: Readonly<Record<string, string>> = {
  'etc/base-release': 'hostplane test base 1\n',
  'srv/app/placeholder.html': 'replaced by the app\n',
}

async function layerOf(files: Readonly<Record<string, string>>): Promise<{ gz: Buffer; diffId: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hostplane-base-'))
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true })
      await writeFile(join(dir, path), content)
    }
    const { stdout } = await run(
      'tar',
      ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '-C', dir, '.'],
      { encoding: 'buffer', maxBuffer: 16 << 20 },
    )
    return { gz: gzipSync(stdout), diffId: sha256(stdout) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function pushImage(
  client: RegistryClient,
  repository: string,
  architecture: string,
  docker: boolean,
  signal: AbortSignal,
  extra: Readonly<Record<string, string>> = {},
): Promise<Descriptor> {
  const layer = await layerOf({ ...BASE_FILES, 'etc/arch': `${architecture}\n`, ...extra })
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os: 'linux',
      config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'], Labels: { 'org.example.base': 'yes' } },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created_by: 'test base layer' }],
    }),
  )
  await client.pushBlob(repository, sha256(layer.gz), layer.gz, signal)
  await client.pushBlob(repository, sha256(config), config, signal)
  const mediaType = docker ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig,
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: docker ? MEDIA_TYPES.dockerLayerGzip : MEDIA_TYPES.ociLayerGzip,
          digest: sha256(layer.gz),
          size: layer.gz.length,
        },
      ],
    }),
  )
  const digest = await client.putManifest(
    repository,
    `${architecture}-${docker ? 'docker' : 'oci'}`,
    mediaType,
    manifest,
    signal,
  )
  return { mediaType, digest, size: manifest.length, platform: { os: 'linux', architecture } }
}

/** An OCI index of a linux/arm64 and a linux/amd64 image; returns the index's digest. */
export async function pushOciIndexBase(
  client: RegistryClient,
  repository: string,
  signal: AbortSignal,
): Promise<string> {
  const manifests = [
    await pushImage(client, repository, 'arm64', false, signal),
    await pushImage(client, repository, 'amd64', false, signal),
  ]
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }))
  return client.putManifest(repository, 'index', MEDIA_TYPES.ociIndex, index, signal)
}

/** A Docker schema 2 image (no list), with `extra` files in its layer; returns its manifest digest. */
export async function pushDockerBase(
  client: RegistryClient,
  repository: string,
  signal: AbortSignal,
  extra: Readonly<Record<string, string>> = {},
): Promise<string> {
  return (await pushImage(client, repository, 'amd64', true, signal, extra)).digest
}
