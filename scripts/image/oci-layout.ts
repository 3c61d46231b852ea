/**
 * The image as an OCI image layout directory (oci-layout, index.json, blobs/sha256/…) and as one
 * oci-archive (that directory as a tar), both byte for byte reproducible: JSON written with a
 * fixed key order, the archive with the layers' tar settings.
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { type Layer, reproducibleTarArgs, sha256 } from './layer-tar.js'

const run = promisify(execFile)

export interface ImageConfig {
  readonly created: string
  readonly user: string
  readonly entrypoint: readonly string[]
  readonly env: readonly string[]
  readonly workingDir: string
  readonly labels: Readonly<Record<string, string>>
  /** One line per layer, bottom first: how it was made (the config's history). */
  readonly history: readonly string[]
}

export interface Descriptor {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
}

export interface WrittenImage {
  /** The manifest's descriptor: its digest is the image digest a registry reports. */
  readonly manifest: Descriptor
  /** Bytes of the manifest, the config and every layer (what a pull transfers). */
  readonly size: number
}

const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip'

/** The image config document (pure). */
export function imageConfig(config: ImageConfig, layers: readonly Layer[]): object {
  return {
    created: config.created,
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: config.user,
      Env: config.env,
      Entrypoint: config.entrypoint,
      WorkingDir: config.workingDir,
      Labels: config.labels,
    },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
    history: config.history.map((createdBy) => ({ created: config.created, created_by: createdBy })),
  }
}

/** The image manifest document (pure). */
export function imageManifest(
  config: Descriptor,
  layers: readonly Layer[],
  labels: Readonly<Record<string, string>>,
): object {
  return {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config,
    layers: layers.map(({ digest, size }) => ({ mediaType: LAYER_MEDIA_TYPE, digest, size })),
    annotations: labels,
  }
}

const blobPath = (layout: string, digest: string) => join(layout, 'blobs', ...digest.split(':'))

async function writeBlob(layout: string, mediaType: string, document: object): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(document))
  const digest = sha256(bytes)
  await writeFile(blobPath(layout, digest), bytes)
  return { mediaType, digest, size: bytes.length }
}

/** Writes the layout into `layout` (replacing it); `tag` becomes index.json's ref.name. */
export async function writeOciLayout(
  layout: string,
  tag: string,
  layers: readonly Layer[],
  config: ImageConfig,
): Promise<WrittenImage> {
  await rm(layout, { recursive: true, force: true })
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true })
  for (const layer of layers) await copyFile(layer.path, blobPath(layout, layer.digest))
  const configBlob = await writeBlob(
    layout,
    'application/vnd.oci.image.config.v1+json',
    imageConfig(config, layers),
  )
  const manifest = await writeBlob(
    layout,
    'application/vnd.oci.image.manifest.v1+json',
    imageManifest(configBlob, layers, config.labels),
  )
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  )
  const size = manifest.size + configBlob.size + layers.reduce((sum, layer) => sum + layer.size, 0)
  return { manifest, size }
}

/** The layout directory as one plain, reproducible tar (`oci-archive:` for skopeo). */
export async function writeOciArchive(layout: string, archive: string, epoch: number): Promise<number> {
  await mkdir(dirname(archive), { recursive: true })
  await run('tar', reproducibleTarArgs({ dir: layout, members: ['.'], epoch, rootOwned: true }, archive), {
    timeout: 10 * 60_000,
  })
  return (await stat(archive)).size
}
