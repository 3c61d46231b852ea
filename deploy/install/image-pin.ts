/**
 * The digest of the hostplane image this tree builds, as `npm run image -- --pin` recorded it in
 * deploy/install/image.json of the package (the sources' directory, so a compiled construct reads
 * the same file). The construct's default image names it, so every committed profile
 * pulls exactly that image; test/image checks it against the image CI builds from the same tree.
 */
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { HOSTPLANE_PACKAGE } from '../../src/package-root.js'

export const IMAGE_PIN_FILE = join(HOSTPLANE_PACKAGE.root, 'deploy', 'install', 'image.json')

interface ImagePin {
  /** `sha256:<64 hex>`: the manifest digest `npm run image` prints. */
  readonly digest: string
}

export function pinnedImageDigest(): string {
  const pin = JSON.parse(readFileSync(IMAGE_PIN_FILE, 'utf8')) as Partial<ImagePin>
  if (typeof pin.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(pin.digest))
    throw new Error(`${IMAGE_PIN_FILE} names no image digest: run npm run image -- --pin`)
  return pin.digest
}

export async function pinImageDigest(digest: string): Promise<void> {
  const pin: ImagePin = { digest }
  await writeFile(IMAGE_PIN_FILE, `${JSON.stringify(pin, null, 2)}\n`)
}
