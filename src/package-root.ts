/**
 * hostplane's own package: the directory of its package.json and its version. Found by walking up
 * from this file, the one way that holds wherever the code runs: the sources (src/), the compiled
 * tree (build/src/, which the construct's build/deploy/install/ shares), the image and a user's
 * node_modules/hostplane.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export interface HostplanePackage {
  /** The directory holding package.json; deploy/crds and the rest of the package are below it. */
  readonly root: string
  readonly version: string
}

function findPackage(): HostplanePackage {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
    if (pkg.name === 'hostplane' && pkg.version) return { root: dir, version: pkg.version }
  }
  throw new Error(`no package.json of hostplane in ${import.meta.dirname} or any directory above it`)
}

export const HOSTPLANE_PACKAGE: HostplanePackage = findPackage()
