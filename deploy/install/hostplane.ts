/**
 * The whole hostplane install as one construct, for a user's own cdk8s app (seed 002's way of
 * working) and for the committed profiles (profiles.ts). Its objects come in apply order: the
 * namespace and the CRDs first, the Runtimes (which need their CRD), RBAC, the admission policies
 * (whose domain policy takes Customers as parameters), then the workloads and their policies.
 * Every object carries `app.kubernetes.io/part-of: hostplane`.
 *
 *   import { Hostplane } from 'hostplane/install'
 *   new Hostplane(chart, 'hostplane', { pagesDomain: 'pages.example.com', storage: { mode: 'single-node' } })
 */
import { ApiObject } from 'cdk8s'
import { Construct } from 'constructs'
import { AdmissionPolicies } from './admission.js'
import { GitServerWorkload } from './gitserver.js'
import { BuiltInRuntimes, HostplaneApi } from './api.js'
import { BuildNamespace } from './builds.js'
import { SystemNetworkPolicies } from './network-policies.js'
import { NginxWorkload } from './nginx.js'
import { OperatorWorkload } from './operator.js'
import { PanelWorkload } from './panel.js'
import { type HostplaneProps, type InstallOptions, resolveOptions } from './options.js'
import { Rbac } from './rbac.js'
import { RegistryWorkload } from './registry.js'
import { SitesVolume } from './sites-volume.js'
import { SyncerWorkload } from './syncer.js'
import { SystemNamespace } from './system.js'

export const PART_OF = { 'app.kubernetes.io/part-of': 'hostplane' } as const

export class Hostplane extends Construct {
  /** The options with every default filled in, as the objects use them. */
  readonly options: InstallOptions

  constructor(scope: Construct, id: string, props: HostplaneProps) {
    super(scope, id)
    const options = resolveOptions(props)
    this.options = options
    new SystemNamespace(this, 'system', { options })
    new BuildNamespace(this, 'builds', { options })
    new HostplaneApi(this, 'api')
    new BuiltInRuntimes(this, 'runtimes')
    const rbac = new Rbac(this, 'rbac', { options })
    new SitesVolume(this, 'sites', { options })
    new AdmissionPolicies(this, 'admission', { options, accounts: rbac.accounts })
    new OperatorWorkload(this, 'operator', { options, accounts: rbac.accounts })
    new SyncerWorkload(this, 'syncer', { options, serviceAccountName: rbac.accounts.syncer })
    new NginxWorkload(this, 'nginx', { options })
    if (options.gitserver && rbac.accounts.gitserver)
      new GitServerWorkload(this, 'gitserver', {
        options,
        gitserver: options.gitserver,
        serviceAccountName: rbac.accounts.gitserver,
      })
    if (options.registry) new RegistryWorkload(this, 'registry', { options, registry: options.registry })
    if (options.panel && rbac.accounts.panel)
      new PanelWorkload(this, 'panel', {
        options,
        panel: options.panel,
        serviceAccountName: rbac.accounts.panel,
      })
    new SystemNetworkPolicies(this, 'network-policies', { options })
    for (const child of this.node.findAll())
      if (child instanceof ApiObject)
        for (const [key, value] of Object.entries(PART_OF)) child.metadata.addLabel(key, value)
  }
}
