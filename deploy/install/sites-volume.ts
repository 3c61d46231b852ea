/**
 * The sites volume: the syncer writes every published tree to it and nginx serves it. In `shared`
 * mode the pods may run on different nodes, so the claim is ReadWriteMany (k3s's local-path
 * provisioner cannot provide it; docs/install.md lists classes that can). In `single-node` mode
 * nginx is scheduled beside the syncer (nginx.ts), and a ReadWriteOnce claim, which every pod of
 * one node may mount, is enough.
 */
import { Construct } from 'constructs'
import { emit } from './manifest-files.js'
import type { InstallOptions, StorageMode } from './options.js'

export const SITES_CLAIM = 'hostplane-sites'
/** Where the syncer writes and nginx reads; publish links are relative, but both use one path. */
export const SITES_PATH = '/sites'

const ACCESS_MODE: Record<StorageMode, string> = {
  shared: 'ReadWriteMany',
  'single-node': 'ReadWriteOnce',
}

export class SitesVolume extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions }) {
    super(scope, id)
    const { namespace, storage } = props.options
    emit(this, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: SITES_CLAIM, namespace },
      spec: {
        accessModes: [ACCESS_MODE[storage.mode]],
        storageClassName: storage.storageClass,
        resources: { requests: { storage: storage.size } },
      },
    })
  }
}
