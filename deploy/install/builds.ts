/**
 * The build namespace of the `buildpacks` and `dockerfile` strategies (src/build/jobs/namespace.ts
 * renders it: Pod Security labels, a NetworkPolicy letting builds reach only DNS, the system
 * namespace and `builds.egress`), and the Role of the build runner in it, bound to the
 * ServiceAccount `builds.runnerServiceAccount` of the system namespace (the gitserver's). The
 * admission policies of its Pods come with the others (admission.ts).
 */
import { Construct } from 'constructs'
import { renderBuildNamespace, renderBuildRunnerRbac } from '../../src/build/jobs/namespace.js'
import { BUILD_NAMESPACE } from '../../src/build/jobs/settings.js'
import { emit } from './manifest-files.js'
import type { InstallOptions } from './options.js'

export class BuildNamespace extends Construct {
  constructor(scope: Construct, id: string, props: { options: InstallOptions }) {
    super(scope, id)
    const { namespace, builds } = props.options
    for (const object of [
      ...renderBuildNamespace({
        namespace: BUILD_NAMESPACE,
        systemNamespace: namespace,
        egress: builds.egress,
      }),
      ...renderBuildRunnerRbac(BUILD_NAMESPACE, { namespace, name: builds.runnerServiceAccount }),
    ])
      emit(this, object)
  }
}
