/**
 * kustomize, built from its Go module in tools/kustomize and cached like the cluster's binaries
 * (test/cluster/go-tools.ts), so the profiles are built by the same kustomize on every machine,
 * with or without a kubectl.
 */
import { parseAllDocuments } from 'yaml'
import type { Manifest } from '../../src/kube/object.js'
import { ensureGoTools, type GoTools } from '../cluster/go-tools.js'
import { REPO_ROOT } from '../cluster/paths.js'
import { runOrThrow } from '../cluster/process.js'

export const KUSTOMIZE: GoTools<'kustomize'> = {
  name: 'kustomize',
  pinnedModule: 'sigs.k8s.io/kustomize/kustomize/v5',
  binaries: { kustomize: 'sigs.k8s.io/kustomize/kustomize/v5' },
  buildTimeoutMinutes: 20,
}

/** `kustomize build <dir>` (relative to the repository) as objects. */
export async function kustomizeBuild(dir: string): Promise<Manifest[]> {
  const { paths } = await ensureGoTools(KUSTOMIZE)
  const { stdout } = await runOrThrow(paths.kustomize, ['build', dir], { cwd: REPO_ROOT, timeoutMs: 60_000 })
  return parseAllDocuments(stdout).map((document) => document.toJS() as Manifest)
}
