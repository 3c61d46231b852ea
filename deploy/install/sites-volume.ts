/**
 * The sites volume: the syncer writes every published tree to it and nginx serves it, from
 * different pods on possibly different nodes, so it must be ReadWriteMany (k3s's local-path
 * provisioner is not; docs/install.md lists classes that are).
 */
import { Construct } from 'constructs'
import { emit } from './manifest-files.js'
import { type InstallOptions, SYSTEM_NAMESPACE } from './options.js'

export const SITES_CLAIM = 'hostplane-sites'
/** Where the syncer writes and nginx reads; publish links are relative, but both use one path. */
export const SITES_PATH = '/sites'

export class SitesVolume extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions }) {
    super(scope, id)
    emit(this, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: SITES_CLAIM, namespace: SYSTEM_NAMESPACE },
      spec: {
        accessModes: ['ReadWriteMany'],
        storageClassName: props.options.storageClass,
        resources: { requests: { storage: props.options.sitesStorage } },
      },
    })
  }
}
