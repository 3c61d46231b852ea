/**
 * The sites volume: the syncer writes every published tree to it. In `shared` mode nginx serves it
 * and the pods may run on different nodes, so the claim is ReadWriteMany (k3s's local-path
 * provisioner cannot provide it; docs/install.md lists classes that can). In `single-node` mode
 * nginx is scheduled beside the syncer (nginx.ts), and a ReadWriteOnce claim, which every pod of
 * one node may mount, is enough. In `mirror` mode the claim is the syncer's alone (ReadWriteOnce)
 * and each nginx pod serves a copy of its own (`replicaSitesVolume`).
 */
import type { V1Volume } from '@kubernetes/client-node'
import { Construct } from 'constructs'
import { emit } from './manifest-files.js'
import type { InstallOptions, StorageMode } from './options.js'
import { scratch } from './workload.js'

export const SITES_CLAIM = 'hostplane-sites'
/** Where the syncer writes and nginx reads; publish links are relative, but both use one path. */
export const SITES_PATH = '/sites'

const ACCESS_MODE: Record<StorageMode, string> = {
  shared: 'ReadWriteMany',
  'single-node': 'ReadWriteOnce',
  mirror: 'ReadWriteOnce',
}

/**
 * An nginx pod's own copy (`mirror` mode), bounded either way: an emptyDir with a sizeLimit (the
 * kubelet evicts the pod beyond it), or, with a storage class, a generic ephemeral volume, a claim
 * made for the pod and deleted with it.
 */
export function replicaSitesVolume(
  name: string,
  replica: NonNullable<InstallOptions['storage']['replica']>,
): V1Volume {
  if (!replica.storageClass) return scratch(name, replica.size)
  return {
    name,
    ephemeral: {
      volumeClaimTemplate: {
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: replica.storageClass,
          resources: { requests: { storage: replica.size } },
        },
      },
    },
  }
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
