/**
 * `npm run cluster:up | cluster:down | cluster:build`: the test cluster for a person. `up` leaves
 * etcd, kube-apiserver and kube-controller-manager running and prints the kubeconfig path.
 * `build` builds (or finds cached) every Go binary the tests run: the cluster's, Traefik and kustomize.
 */
import { KUSTOMIZE } from '../install/kustomize.js'
import { TRAEFIK } from '../traefik/traefik.js'
import { ensureKubeBinaries, ToolchainMissingError } from './binaries.js'
import { ensureGoTools } from './go-tools.js'
import { TestCluster } from './cluster.js'

const NAME = 'dev'
const log = (line: string) => console.error(line)

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'build': {
      console.log((await ensureKubeBinaries(log)).dir)
      console.log((await ensureGoTools(TRAEFIK, log)).dir)
      console.log((await ensureGoTools(KUSTOMIZE, log)).dir)
      return 0
    }
    case 'up': {
      const cluster = await TestCluster.start({ name: NAME, detached: true, log })
      console.log(`kubeconfig: ${cluster.kubeconfigPath}`)
      console.log(`try:        kubectl --kubeconfig ${cluster.kubeconfigPath} get staticsites -A`)
      console.log('stop with:  npm run cluster:down')
      return 0
    }
    case 'down':
      console.log(
        (await TestCluster.stopByName(NAME)) ? 'test cluster stopped' : 'no test cluster was running',
      )
      return 0
    default:
      console.error('usage: cli.ts up | down | build')
      return 2
  }
}

try {
  process.exitCode = await main(process.argv[2])
} catch (error) {
  console.error(error instanceof ToolchainMissingError ? error.message : error)
  process.exitCode = 1
}
