/**
 * The system namespace: generated routes, nginx, the operator and the syncer. Pod Security
 * `restricted` is enforced on it, so a pod template that loosens a security setting is refused.
 */
import { Construct } from 'constructs'
import { emit } from './manifest-files.js'
import type { InstallOptions } from './options.js'

export class SystemNamespace extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions }) {
    super(scope, id)
    const level = 'restricted'
    emit(this, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: props.options.namespace,
        labels: {
          'pod-security.kubernetes.io/enforce': level,
          'pod-security.kubernetes.io/warn': level,
          'pod-security.kubernetes.io/audit': level,
        },
      },
    })
  }
}
