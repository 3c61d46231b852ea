/**
 * Objects kept as YAML elsewhere in the repository (generated CRDs, RBAC, built-in Runtimes),
 * read as they are so the install never holds a second copy of them.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ApiObject } from 'cdk8s'
import type { Construct } from 'constructs'
import { parseAllDocuments } from 'yaml'
import type { Manifest } from '../../src/kube/object.js'
import { PACKAGE_ROOT } from './options.js'

/** Every document of one file (relative to the repository), comments dropped. */
export function readManifestFile(path: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(PACKAGE_ROOT, path), 'utf8'))
    .map((document) => {
      if (document.errors.length) throw new Error(`${path}: ${document.errors[0]?.message}`)
      return document.toJS() as Manifest | null
    })
    .filter((object): object is Manifest => object !== null)
}

/** Every document of every *.yaml file of a directory, files in name order. */
export const readManifestDir = (dir: string): Manifest[] =>
  readdirSync(join(PACKAGE_ROOT, dir))
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => readManifestFile(join(dir, file)))

/** Adds an object to the construct tree under an id made of its kind and name. */
export const emit = (scope: Construct, object: Manifest): ApiObject =>
  new ApiObject(scope, `${object.kind}-${object.metadata.name}`, object)
