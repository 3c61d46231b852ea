/**
 * Layers that are slow to make and change rarely (the Debian base, the Node runtime, the
 * production dependencies), kept under cacheRoot()/image/<name> where <name> carries everything
 * they are made from, so clean clones and CI runs reuse them.
 */
import { access, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cacheRoot } from '../../test/cluster/paths.js'
import type { Layer } from './layer-tar.js'

export const LAYER_FILE = 'layer.tar.gz'

export interface CachedLayer {
  readonly layer: Layer
  /** The cache directory, holding the layer and whatever else `make` left in its work directory. */
  readonly dir: string
}

/**
 * The layer cached as `name`, made by `make` on first use: `make` writes join(work, LAYER_FILE)
 * (and may leave other files beside it) and returns the layer; scratch it leaves in `work` under
 * `scratch` is removed before the directory is kept.
 */
export async function cachedLayer(
  name: string,
  make: (work: string) => Promise<Layer>,
  scratch: readonly string[] = [],
): Promise<CachedLayer> {
  const dir = join(cacheRoot(), 'image', name)
  const hit = await readFile(join(dir, 'layer.json'), 'utf8').then(
    (text) => JSON.parse(text) as Omit<Layer, 'path'>,
    () => undefined,
  )
  if (
    hit &&
    (await access(join(dir, LAYER_FILE)).then(
      () => true,
      () => false,
    ))
  )
    return { dir, layer: { ...hit, path: join(dir, LAYER_FILE) } }
  await mkdir(join(cacheRoot(), 'image'), { recursive: true })
  const work = await mkdtemp(join(cacheRoot(), 'image', `.${name}-`))
  try {
    const { digest, diffId, size } = await make(work)
    await writeFile(join(work, 'layer.json'), JSON.stringify({ digest, diffId, size }))
    for (const path of scratch) await rm(join(work, path), { recursive: true, force: true })
    await rm(dir, { recursive: true, force: true })
    await rename(work, dir)
    return { dir, layer: { digest, diffId, size, path: join(dir, LAYER_FILE) } }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
