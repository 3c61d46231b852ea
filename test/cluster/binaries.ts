/**
 * kube-apiserver, kube-controller-manager and etcd, built from the Go module in tools/kube (see
 * go-tools.ts for the cache and the lock).
 */
import { cachedGoTools, ensureGoTools, type BuiltGoTools, type GoTools } from './go-tools.js'

export { ToolchainMissingError } from './go-tools.js'

export interface KubeBinaries {
  readonly dir: string
  readonly etcd: string
  readonly apiserver: string
  readonly controllerManager: string
  /** k8s.io/kubernetes version from tools/kube/go.mod, e.g. v1.35.4. */
  readonly kubernetesVersion: string
}

const KUBE: GoTools<'etcd' | 'kube-apiserver' | 'kube-controller-manager'> = {
  name: 'kube',
  pinnedModule: 'k8s.io/kubernetes',
  binaries: {
    etcd: 'go.etcd.io/etcd/server/v3',
    'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
    'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
  },
  buildTimeoutMinutes: 60,
}

const kubeBinaries = ({ dir, version, paths }: BuiltGoTools<keyof typeof KUBE.binaries>): KubeBinaries => ({
  dir,
  etcd: paths.etcd,
  apiserver: paths['kube-apiserver'],
  controllerManager: paths['kube-controller-manager'],
  kubernetesVersion: version,
})

export async function cachedKubeBinaries(): Promise<KubeBinaries | undefined> {
  const built = await cachedGoTools(KUBE)
  return built && kubeBinaries(built)
}

/** Builds them when they are not cached yet (a cold build takes several minutes). */
export async function ensureKubeBinaries(log: (line: string) => void = console.error): Promise<KubeBinaries> {
  return kubeBinaries(await ensureGoTools(KUBE, log))
}
