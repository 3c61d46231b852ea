/**
 * The hostplane API: the CRDs exactly as `npm run gen` wrote them to deploy/crds, and the built-in
 * Runtimes of deploy/runtimes.
 */
import { Construct } from 'constructs'
import { emit, readManifestDir } from './manifest-files.js'

export class HostplaneApi extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id)
    for (const crd of readManifestDir('deploy/crds')) emit(this, crd)
  }
}

export class BuiltInRuntimes extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id)
    for (const runtime of readManifestDir('deploy/runtimes')) emit(this, runtime)
  }
}
