/**
 * The digests of the images this tree builds (the hostplane image and the tenants' registry
 * image), as `npm run image -- --pin` recorded them in deploy/install/image.json of the package
 * (the sources' directory, so a compiled construct reads the same file). The construct's default
 * images name them, so every committed profile pulls exactly those images; test/image checks them
 * against the images CI builds from the same tree.
 */
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { HOSTPLANE_PACKAGE } from '../../src/package-root.js'

export const IMAGE_PIN_FILE = join(HOSTPLANE_PACKAGE.root, 'deploy', 'install', 'image.json')

interface ImagePins {
  /** `sha256:<64 hex>`: the hostplane image's manifest digest `npm run image` prints. */
  readonly digest: string
  /** The same for the registry image (`hostplane-registry`). */
  readonly registryDigest: string
}

const DIGEST = /^sha256:[0-9a-f]{64}$/

function readPins(): Partial<ImagePins> {
  return JSON.parse(readFileSync(IMAGE_PIN_FILE, 'utf8')) as Partial<ImagePins>
}

function checked(digest: unknown, what: string): string {
  if (typeof digest !== 'string' || !DIGEST.test(digest))
    throw new Error(`${IMAGE_PIN_FILE} names no ${what} digest: run npm run image -- --pin`)
  return digest
}

export function pinnedImageDigest(): string {
  return checked(readPins().digest, 'hostplane image')
}

export function pinnedRegistryImageDigest(): string {
  return checked(readPins().registryDigest, 'registry image')
}

export async function pinImageDigests(digests: { hostplane: string; registry: string }): Promise<void> {
  const pins: ImagePins = { digest: digests.hostplane, registryDigest: digests.registry }
  await writeFile(IMAGE_PIN_FILE, `${JSON.stringify(pins, null, 2)}\n`)
}
