/**
 * The operator's and the syncer's ServiceAccounts and RBAC, read from deploy/rbac/operator.yaml
 * and deploy/rbac/syncer.yaml, and the fixed tenant ClusterRoles of deploy/rbac/tenant.yaml that
 * the operator binds in customer namespaces. Those files are what the least-privilege tests bind
 * and apply (test/operator/harness.ts, test/cluster/tenancy.ts,
 * test/syncer/syncer-cluster.test.ts), so the install grants exactly the rights those tests
 * exercised, by construction. The files are written for the default system namespace; an install
 * in another namespace moves their ServiceAccounts, namespaced objects and binding subjects there.
 */
import { Construct } from 'constructs'
import type { Manifest } from '../../src/kube/object.js'
import { flagDefault } from './cli-flags.js'
import { emit, readManifestFile } from './manifest-files.js'
import type { InstallOptions } from './options.js'

/** The namespace deploy/rbac's files name: the components' own `--system-namespace` default. */
export const RBAC_FILES_NAMESPACE = flagDefault('operator', '--system-namespace')

export const RBAC_FILES = {
  operator: 'deploy/rbac/operator.yaml',
  syncer: 'deploy/rbac/syncer.yaml',
} as const

/** The gitserver's, included only when the options enable it. */
export const GITSERVER_RBAC_FILE = 'deploy/rbac/gitserver.yaml'

/** The panel's, included only when the options give it. */
export const PANEL_RBAC_FILE = 'deploy/rbac/panel.yaml'

/** ClusterRoles only, no ServiceAccount: what tenants, and the components in tenant namespaces, may do. */
export const TENANT_RBAC_FILE = 'deploy/rbac/tenant.yaml'

/** The ServiceAccounts (in the system namespace) the operator and the syncer run as. */
export interface ServiceAccounts {
  readonly operator: string
  readonly syncer: string
  /** Only when the gitserver is enabled. */
  readonly gitserver?: string
  /** Only when the panel is given. */
  readonly panel?: string
}

export class Rbac extends Construct {
  readonly accounts: ServiceAccounts

  private readonly namespace: string

  constructor(scope: Construct, id: string, props: { options: InstallOptions }) {
    super(scope, id)
    this.namespace = props.options.namespace
    this.accounts = {
      operator: this.include(RBAC_FILES.operator),
      syncer: this.include(RBAC_FILES.syncer),
      ...(props.options.gitserver ? { gitserver: this.include(GITSERVER_RBAC_FILE) } : {}),
      ...(props.options.panel ? { panel: this.include(PANEL_RBAC_FILE) } : {}),
    }
    for (const object of readManifestFile(TENANT_RBAC_FILE)) {
      if (object.kind !== 'ClusterRole')
        throw new Error(`${TENANT_RBAC_FILE} holds only ClusterRoles, not ${object.kind}`)
      emit(this, object)
    }
  }

  /**
   * Emits a file's objects and returns the name of its one ServiceAccount. Objects sit in the
   * system namespace or in a Namespace the file makes itself (the panel's token records), which
   * keeps its name.
   */
  private include(path: string): string {
    const objects = readManifestFile(path)
    const own = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name))
    for (const object of objects) {
      const namespace = object.metadata.namespace
      if (namespace !== undefined && namespace !== RBAC_FILES_NAMESPACE && !own.has(namespace))
        throw new Error(
          `${path}: ${object.kind} ${object.metadata.name} is in ${namespace}, not ${RBAC_FILES_NAMESPACE}`,
        )
      emit(this, this.moved(object))
    }
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount')
    const [account] = accounts
    if (accounts.length !== 1 || !account) throw new Error(`${path} must define exactly one ServiceAccount`)
    return account.metadata.name
  }

  /** The object with the files' namespace, in itself and in its binding subjects, replaced by the install's. */
  private moved(object: Manifest): Manifest {
    const moved = structuredClone(object) as Manifest & { subjects?: { namespace?: string }[] }
    if (moved.metadata.namespace === RBAC_FILES_NAMESPACE) moved.metadata.namespace = this.namespace
    for (const subject of moved.subjects ?? [])
      if (subject.namespace === RBAC_FILES_NAMESPACE) subject.namespace = this.namespace
    return moved
  }
}
