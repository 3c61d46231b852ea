/**
 * The operator's and the syncer's ServiceAccounts and RBAC, read from deploy/rbac/operator.yaml
 * and deploy/rbac/syncer.yaml. Those files are what the least-privilege tests bind to the
 * components' own ServiceAccounts (test/operator/harness.ts, test/syncer/syncer-cluster.test.ts),
 * so the install grants exactly the rights those tests exercised, by construction.
 */
import { Construct } from 'constructs'
import { emit, readManifestFile } from './manifest-files.js'
import { SYSTEM_NAMESPACE } from './options.js'

export const RBAC_FILES = {
  operator: 'deploy/rbac/operator.yaml',
  syncer: 'deploy/rbac/syncer.yaml',
} as const

export class Rbac extends Construct {
  /** The ServiceAccount the operator runs as. */
  readonly operatorAccount: string
  /** The ServiceAccount the syncer runs as. */
  readonly syncerAccount: string

  constructor(scope: Construct, id: string) {
    super(scope, id)
    this.operatorAccount = this.include(RBAC_FILES.operator)
    this.syncerAccount = this.include(RBAC_FILES.syncer)
  }

  /** Emits a file's objects and returns the name of its one ServiceAccount. */
  private include(path: string): string {
    const objects = readManifestFile(path)
    for (const object of objects) {
      const namespace = object.metadata.namespace
      if (namespace !== undefined && namespace !== SYSTEM_NAMESPACE)
        throw new Error(
          `${path}: ${object.kind} ${object.metadata.name} is in ${namespace}, not ${SYSTEM_NAMESPACE}`,
        )
      emit(this, object)
    }
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount')
    const [account] = accounts
    if (accounts.length !== 1 || !account) throw new Error(`${path} must define exactly one ServiceAccount`)
    return account.metadata.name
  }
}
