/** deploy/rbac/panel.yaml for one test run, renamed so runs sharing a cluster stay apart. */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import type { Manifest } from '../../src/kube/object.js'
import { REPO_ROOT } from '../cluster/paths.js'

/**
 * The panel's ServiceAccount lives in `hp-panel-<id>`, its token records in `hp-panel-tokens-<id>`,
 * its audit log in `hp-panel-audit-<id>`.
 */
export async function panelRbac(id: string): Promise<Manifest[]> {
  const text = (await readFile(join(REPO_ROOT, 'deploy/rbac/panel.yaml'), 'utf8'))
    .replaceAll('hostplane-panel-tokens', `hp-panel-tokens-${id}`)
    .replaceAll('hostplane-panel-audit', `hp-panel-audit-${id}`)
    .replaceAll('hostplane-panel-admins', `hp-panel-admins-${id}`)
    .replaceAll('namespace: hostplane-system', `namespace: hp-panel-${id}`)
    .replaceAll(/name: hostplane-panel$/gm, `name: hostplane-panel-${id}`)
  return parseAllDocuments(text).map((d) => d.toJS() as Manifest)
}

/** `hostplane panel`'s arguments for the run's ServiceAccount kubeconfig, on loopback ports. */
export const panelArgs = (kubeconfigPath: string, id: string, port: number, opsPort: number): string[] => [
  'panel',
  '--kubeconfig',
  kubeconfigPath,
  '--listen',
  `127.0.0.1:${port}`,
  '--ops-listen',
  `127.0.0.1:${opsPort}`,
  '--token-namespace',
  `hp-panel-tokens-${id}`,
  '--audit-namespace',
  `hp-panel-audit-${id}`,
]

/** `startPanel`'s namespaces for the run. */
export const panelNamespaces = (id: string) => ({
  tokenNamespace: `hp-panel-tokens-${id}`,
  audit: { namespace: `hp-panel-audit-${id}` },
})
